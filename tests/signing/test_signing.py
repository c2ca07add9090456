"""Signing: what a supporter sees and what is stored and sent, for good and bad input."""

from __future__ import annotations

import threading
import unicodedata

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from campaign.identity import normalise_email
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.factories import csrf_token, make_campaign, sign, utc
from tests.helpers import (
    confirmation_links,
    confirmation_path,
    count_rows,
    email_bodies,
    email_text,
    outbox,
    signatures,
)


def test_signing_stores_a_pending_signature_and_queues_one_confirmation_email(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = sign(client, campaign, query="?source=twitter", source="twitter", opt_in="y")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/campaigns/{campaign}/signed"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "check your email" in page
    [signature] = signatures(app)
    assert signature.status == "pending"
    assert (signature.first_name, signature.last_name) == ("Ada", "Lovelace")
    assert signature.email == "ada@example.org"
    assert signature.country == "GB"
    assert signature.opt_in is True
    assert signature.source == "twitter"
    assert signature.consent_version
    [link] = confirmation_links(app)
    assert len(link.token_hash) == 64 and link.signature_id == signature.id
    assert link.expires_at == signature.confirmation_expires_at
    assert signature.confirmation_expires_at > signature.signed_at
    [message] = outbox(app)
    assert message.recipient == "ada@example.org"
    assert message.status == "pending"
    assert "Test campaign" in message.subject
    text, html = email_bodies(app)
    assert "https://petition.example.org/confirm/" in text
    assert "https://petition.example.org/confirm/" in html


def test_the_token_itself_and_the_client_address_are_never_stored(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    [signature] = signatures(app)
    token = email_text(app, 0).split("/confirm/")[1].split()[0]
    assert all(token not in link.token_hash for link in confirmation_links(app))
    assert signature.ip_hash and len(signature.ip_hash) == 64
    assert "127.0.0.1" not in signature.ip_hash


def test_opt_in_is_unticked_by_default_and_false_when_not_sent(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert 'name="opt_in"' in page
    assert "checked" not in page.split('name="opt_in"')[0].rsplit("<input", 1)[1]
    sign(client, campaign)
    assert signatures(app)[0].opt_in is False


def test_signing_again_gives_the_same_response_and_resends_the_link_not_a_second_row(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    first = sign(client, campaign, email="ada@example.org")
    again = sign(client, campaign, email="  ADA@Example.org ")

    assert (first.status_code, first.headers["Location"], first.get_data()) == (
        again.status_code,
        again.headers["Location"],
        again.get_data(),
    )
    assert count_rows(app, Signature) == 1
    messages = outbox(app)
    assert len(messages) == 2
    assert messages[1].recipient == "ADA@example.org"  # the domain in its IDNA form
    assert "/confirm/" in email_text(app, 1)
    # A new link, and the first one still works (see test_confirmation.py).
    old, new = (email_text(app, n).split("/confirm/")[1].split()[0] for n in (0, 1))
    assert old != new
    assert client.get(f"/confirm/{old}").status_code == 200
    assert client.get(f"/confirm/{new}").status_code == 200


def test_the_confirmation_link_is_resent_at_most_three_times(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for _ in range(6):
        assert sign(client, campaign).status_code == 303
    assert count_rows(app, Signature) == 1
    assert len(outbox(app)) == 1 + 3


def test_an_already_confirmed_address_gets_an_already_signed_email_and_the_same_page(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    new = sign(client, campaign, email="grace@example.org")
    token_path = confirmation_path(app, 0)
    client.post(token_path)

    again = sign(client, campaign, email="grace@example.org")

    assert again.status_code == new.status_code
    assert again.headers["Location"] == new.headers["Location"]
    assert count_rows(app, Signature) == 1
    last = outbox(app)[-1]
    assert "already signed" in last.subject
    assert "/confirm/" not in email_text(app, -1)
    assert signatures(app)[0].status == "confirmed"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("  Ada@Example.ORG ", "ada@example.org"),
        ("ada+petitions@example.org", "ada@example.org"),
        ("A.D.A+x@gmail.com", "ada@gmail.com"),
        ("ada@googlemail.com", "ada@gmail.com"),
        ("a.da@example.org", "a.da@example.org"),
        ("+tag@example.org", "+tag@example.org"),
    ],
)
def test_email_normalisation(typed: str, normalised: str) -> None:
    assert normalise_email(typed) == normalised


def test_gmail_variants_of_one_address_make_one_signature(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for email in (
        "ada.lovelace@gmail.com",
        "AdaLovelace+x@googlemail.com",
        "a.d.a.lovelace@gmail.com",
    ):
        sign(client, campaign, email=email)
    assert count_rows(app, Signature) == 1


def test_many_requests_with_one_address_at_once_make_one_row(app: Flask, campaign: str) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def sign_in_thread() -> None:
        try:
            client = app.test_client()
            results.append(sign(client, campaign, email="crowd@example.org").status_code)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=sign_in_thread) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert results == [303] * 12
    assert count_rows(app, Signature) == 1
    assert 1 <= count_rows(app, OutboxMessage) <= 1 + 3


LONG = "x" * 101


@pytest.mark.parametrize(
    ("fields", "field_with_error"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"first_name": LONG}, "first_name"),
        ({"first_name": "Ada\nBcc: x@example.org"}, "first_name"),
        ({"last_name": "Love\rlace"}, "last_name"),
        ({"last_name": "Love\x1blace"}, "last_name"),
        ({"last_name": "Love\x85lace"}, "last_name"),
        ({"last_name": "Love\u2028lace"}, "last_name"),
        ({"first_name": "Visit https://spam.example"}, "first_name"),
        ({"last_name": "www.spam.example"}, "last_name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "ada@"}, "email"),
        ({"email": "ada@example.org\nBcc: x@example.org"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"country": ""}, "country"),
        ({"country": "ZZ"}, "country"),
        ({"country": "GB' OR '1'='1"}, "country"),
        ({"postcode": "1" * 17}, "postcode"),
        ({"postcode": "SW1\nA"}, "postcode"),
    ],
)
def test_bad_input_comes_back_with_a_message_and_nothing_is_stored_or_sent(
    app: Flask, client: FlaskClient, campaign: str, fields: dict[str, str], field_with_error: str
) -> None:
    response = sign(client, campaign, **fields)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert f'id="{field_with_error}-error"' in page
    assert count_rows(app, Signature) == 0
    assert count_rows(app, OutboxMessage) == 0


def test_the_form_keeps_what_was_typed_when_it_comes_back(
    client: FlaskClient, campaign: str
) -> None:
    page = sign(
        client, campaign, first_name="Zoë", email="broken@", country="KE", postcode="00100"
    ).get_data(as_text=True)
    assert 'value="Zoë"' in page
    assert 'value="broken@"' in page
    assert 'value="KE" selected' in page
    assert 'value="00100"' in page


def test_a_missing_or_forged_csrf_token_keeps_the_form_and_stores_nothing(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = sign(client, campaign, csrf_token="forged", first_name="Kept")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "session expired" in page
    assert 'value="Kept"' in page
    assert count_rows(app, Signature) == 0


def test_hostile_markup_is_stored_as_typed_and_shown_escaped(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    hostile = "<script>alert(1)</script>"
    page = sign(client, campaign, first_name=hostile, email="bad").get_data(as_text=True)
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    sign(client, campaign, first_name=hostile, last_name="'; DROP TABLE signatures; --")
    [signature] = signatures(app)
    assert signature.first_name == hostile
    assert signature.last_name == "'; DROP TABLE signatures; --"


def test_names_in_other_scripts_are_kept_and_nfc_normalised(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Ångström")
    sign(
        client,
        campaign,
        first_name=decomposed,
        last_name="محمد 山田 Ñúñez",
        email="zoe@example.org",
    )
    [signature] = signatures(app)
    assert signature.first_name == unicodedata.normalize("NFC", "Zoë Ångström")
    assert signature.last_name == "محمد 山田 Ñúñez"


def test_an_unknown_or_hostile_source_is_dropped_not_refused(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, source="<b>=cmd|calc</b>", email="one@example.org")
    sign(client, campaign, source="Partner-X", email="two@example.org")
    sign(client, campaign, source="x" * 200, email="three@example.org")
    assert [s.source for s in signatures(app)] == [None, "partner-x", None]


def test_the_share_source_in_the_page_url_reaches_the_form(
    client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}?source=newsletter").get_data(as_text=True)
    assert 'name="source" type="hidden" value="newsletter"' in page


def test_a_filled_honeypot_looks_accepted_but_stores_and_sends_nothing(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = sign(client, campaign, leave_this_empty="http://bot.example")
    assert response.status_code == 303
    assert count_rows(app, Signature) == 0
    assert count_rows(app, OutboxMessage) == 0


@pytest.mark.parametrize(
    ("opens_at", "closes_at"),
    [("2999-01-01T00:00:00+00:00", None), (None, "2000-01-01T00:00:00+00:00")],
)
def test_signing_is_refused_outside_the_campaign_times(
    app: Flask, client: FlaskClient, campaign: str, opens_at: str | None, closes_at: str | None
) -> None:
    with app.app_context():
        closed = make_campaign(
            db.session,
            opens_at=utc(opens_at) if opens_at else None,
            closes_at=utc(closes_at) if closes_at else None,
        )
        db.session.commit()
        slug = closed.slug
    page = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "not taking signatures" in page
    assert 'name="first_name"' not in page

    token = csrf_token(client, f"/campaigns/{campaign}")  # the closed page has no form
    response = client.post(
        f"/campaigns/{slug}",
        data={
            "csrf_token": token,
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.org",
            "country": "FR",
        },
    )
    assert response.status_code == 403
    assert "not taking signatures" in response.get_data(as_text=True)
    assert count_rows(app, Signature) == 0


def test_unknown_fields_are_ignored(app: Flask, client: FlaskClient, campaign: str) -> None:
    response = sign(client, campaign, status="confirmed", id="999", is_admin="1")
    assert response.status_code == 303
    assert signatures(app)[0].status == "pending"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("\u202eecalevoL", "ecalevoL"),  # right-to-left override: shown as "Lovelace"
        ("Love\u202elace\u202c", "Lovelace"),
        ("\u2067Lovelace\u2069", "Lovelace"),  # isolates
        ("Love\u200blace", "Lovelace"),  # zero-width space
        ("\ufeffLovelace", "Lovelace"),  # BOM
        ("Love\u00adlace", "Lovelace"),  # soft hyphen
        ("\u200b=1+1", "=1+1"),  # the formula guard sees the `=` (see tests/exports)
        ("Ada \u200b", "Ada"),
        ("Ana 👩\u200d💻", "Ana 👩\u200d💻"),  # a joiner inside an emoji sequence is kept
        ("Ana 👨🏽\u200d🚀", "Ana 👨🏽\u200d🚀"),
        ("Ana \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", None),
        ("\u0646\u06cc\u200c\u0645\u0627", None),  # Persian: the non-joiner is spelling
        ("\u0915\u094d\u200d\u0937\u093e", None),  # Devanagari: the joiner is spelling
    ],
)
def test_invisible_format_characters_are_dropped_from_names_except_where_they_spell(
    app: Flask, client: FlaskClient, campaign: str, typed: str, stored: str | None
) -> None:
    response = sign(client, campaign, last_name=typed, postcode="\u200b75011\u202e")
    assert response.status_code == 303
    [signature] = signatures(app)
    assert signature.last_name == (typed if stored is None else stored)
    assert signature.postcode == "75011"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_of_only_invisible_characters_is_an_empty_name(
    app: Flask, client: FlaskClient, campaign: str, field: str
) -> None:
    response = sign(client, campaign, **{field: "\u200b\u202e\ufeff"})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count_rows(app, Signature) == 0


def test_a_supporter_in_kosovo_can_sign(app: Flask, client: FlaskClient, campaign: str) -> None:
    """Kosovo (XK) is in CLDR's list of territories, not in ISO's (pycountry)."""
    english = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    french = client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert '<option value="XK">Kosovo</option>' in english
    assert '<option value="XK">Kosovo</option>' in french

    assert sign(client, campaign, country="XK").status_code == 303
    [signature] = signatures(app)
    assert signature.country == "XK"


@pytest.mark.parametrize("code", ["EU", "UN", "ZZ", "QO", "XA", "IC", "AC", "001"])
def test_regions_and_codes_that_are_not_a_country_are_refused(
    app: Flask, client: FlaskClient, campaign: str, code: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert f'<option value="{code}">' not in page
    assert sign(client, campaign, country=code).status_code == 422
    assert count_rows(app, Signature) == 0
