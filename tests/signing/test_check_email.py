"""The check-your-email page: where the email went (masked), a request to share with its own
source codes, and a button that sends the email again."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from campaign.signing.resend import mask_email
from tests.factories import csrf_from, sign
from tests.helpers import email_text, outbox


def test_an_address_is_masked_enough_to_spot_a_typo() -> None:
    assert mask_email("ada.lovelace@example.org") == "a•••e@example.org"
    assert mask_email("al@example.org") == "a•••@example.org"


def test_the_page_shows_where_the_email_went_and_asks_for_a_share(
    client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="ada.lovelace@example.org")
    response = client.get(f"/campaigns/{campaign}/signed")
    page = response.get_data(as_text=True)
    assert "a•••e@example.org" in page and "ada.lovelace@example.org" not in page
    sources = re.findall(r"source(?:%3D|=)([\w.-]+)", page)
    assert {"signed-whatsapp", "signed-facebook", "signed-twitter", "signed-link"} <= set(sources)
    assert response.headers["Cache-Control"] == "no-store"  # it is this visitor's own


def test_send_again_sends_the_link_again_and_a_stranger_gets_the_same_answer(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, first_name="Ada", email="ada@example.org")
    page = client.get(f"/campaigns/{campaign}/signed").get_data(as_text=True)
    response = client.post(f"/campaigns/{campaign}/resend", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.location.endswith("resent=1")
    assert [m.recipient for m in outbox(app)] == ["ada@example.org", "ada@example.org"]
    assert email_text(app).startswith("Hello Ada,")

    stranger = app.test_client()  # never signed in this browser: nothing to send again
    assert "Send the email again" not in stranger.get(f"/campaigns/{campaign}/signed").get_data(
        as_text=True
    )
    # A session's CSRF token (the public campaign page has none: it is the same for everyone).
    form = stranger.get("/organiser/login").get_data(as_text=True)
    response = stranger.post(f"/campaigns/{campaign}/resend", data={"csrf_token": csrf_from(form)})
    assert response.status_code == 303
    assert len(outbox(app)) == 2


def test_the_campaign_page_has_a_large_share_card_at_an_absolute_address(
    client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    card = re.search(r'<meta property="og:image" content="([^"]+)">', page)
    assert card and card.group(1).startswith("https://petition.example.org/static/images/")
    assert re.search(r'<meta property="og:image:alt" content="[^"]{20,}">', page)
    hero = re.search(r'<img class="campaign-image"[^>]*>', page, re.S)
    assert hero and 'loading="lazy"' not in hero.group(0)


def test_send_again_writes_in_the_language_the_supporter_signed_in(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr", first_name="Ada", email="ada@example.org")
    page = client.get(f"/campaigns/{seeded}/signed?lang=fr").get_data(as_text=True)

    client.post(f"/campaigns/{seeded}/resend?lang=fr", data={"csrf_token": csrf_from(page)})

    first, again = outbox(app)
    assert again.subject == first.subject
    assert "Halte aux logiciels espions" in email_text(app)
    assert email_text(app).startswith("Bonjour Ada,")
