"""Signing again with the same mailbox: every link sent works until its own expiry, the
latest details are the ones confirmed, the resend cap holds, and no dead link is sent."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.cleanup import BulkAction, SignatureFilters, apply_batch
from campaign.signing.models import ConfirmationLink, Signature
from campaign.signing.services import (
    SignatureInput,
    SigningPolicy,
    TokenExpired,
    find_signature_by_token,
    sign_petition,
)
from tests.factories import campaign_by_slug, sign
from tests.helpers import (
    confirmation_links,
    confirmation_path,
    confirmed_count,
    email_text,
    manage_path,
    outbox,
    signatures,
)

MICROSECOND = timedelta(microseconds=1)


def _age(app: Flask, days: int) -> None:
    """Move every signature and link `days` into the past, as if that time had gone by."""
    with app.app_context():
        shift = timedelta(days=days)
        for signature in db.session.scalars(select(Signature)):
            signature.signed_at -= shift
            if signature.confirmation_expires_at is not None:
                signature.confirmation_expires_at -= shift
        for link in db.session.scalars(select(ConfirmationLink)):
            link.expires_at -= shift
        db.session.commit()


def test_the_first_emails_link_still_confirms_after_signing_again(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    first = confirmation_path(app, 0)
    sign(client, campaign)
    second = confirmation_path(app, 1)
    assert first != second

    page = client.post(first)
    assert page.status_code == 200
    assert "Thank you" in page.get_data(as_text=True)
    assert confirmed_count(app, campaign) == 1
    # The other link now says "already confirmed"; nothing counts twice.
    again = client.get(second).get_data(as_text=True)
    assert "already confirmed" in again
    assert client.post(second).status_code == 200
    assert confirmed_count(app, campaign) == 1


def test_live_links_stay_bounded_by_the_resend_cap_and_each_keeps_its_own_expiry(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for _ in range(10):
        sign(client, campaign)
    cap = app.config["CONFIRMATION_RESENDS"]
    assert len(confirmation_links(app)) == cap + 1 == len(outbox(app))

    # The newest link's expiry passes: signing again sends a new one; the expired links go,
    # and the set stays bounded.
    _age(app, app.config["CONFIRMATION_TOKEN_DAYS"] + 1)
    expired = confirmation_path(app, -1)
    assert client.post(expired).status_code == 410
    sign(client, campaign)
    assert len(confirmation_links(app)) == 1
    assert client.post(confirmation_path(app)).status_code == 200
    assert confirmed_count(app, campaign) == 1


def test_the_latest_details_and_consent_are_the_ones_confirmed_and_shown(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    # Someone else signs first with the victim's address, their details, and news ticked.
    sign(
        client,
        campaign,
        first_name="Mallory",
        last_name="Prank",
        email="victim@example.org",
        country="FR",
        postcode="75001",
        opt_in="y",
    )
    first = confirmation_path(app, 0)
    # The real person signs with her own details, news unticked.
    sign(client, campaign, first_name="Vera", last_name="Real", email="victim@example.org")

    page = client.get(first).get_data(as_text=True)  # whichever link she opens
    assert "Vera Real" in page and "Mallory" not in page
    assert "No news" in page
    assert client.post(first).status_code == 200

    [signature] = signatures(app)
    assert (signature.first_name, signature.last_name) == ("Vera", "Real")
    assert (signature.country, signature.postcode) == ("GB", None)
    assert signature.opt_in is False
    assert signature.status == "confirmed"
    assert confirmed_count(app, campaign) == 1


def test_a_confirmed_signature_whose_link_expired_gets_no_more_than_the_cap(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    client.post(confirmation_path(app))
    _age(app, app.config["CONFIRMATION_TOKEN_DAYS"] + 30)

    for _ in range(10):
        assert sign(client, campaign).status_code == 303

    already = [m for m in outbox(app) if m.template == "already_signed"]
    assert len(already) == app.config["CONFIRMATION_RESENDS"]


def test_an_invalidated_signature_signing_again_is_sent_no_dead_link(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="bot@example.org")
    with app.app_context():
        campaign_id = db.session.scalar(select(Signature.campaign_id))
        assert campaign_id is not None
        apply_batch(
            db.session,
            campaign_id,
            SignatureFilters(email="bot@example.org"),
            BulkAction.INVALIDATE,
            secret_key=app.config["SECRET_KEY"],
            now=utcnow(),
            tally_shards=app.config["TALLY_SHARDS"],
        )
        db.session.commit()
    sent_before = len(outbox(app))

    for _ in range(3):
        response = sign(client, campaign, email="bot@example.org")
        assert response.status_code == 303  # the same page as every other outcome

    assert len(outbox(app)) == sent_before  # no email whose link would say "not valid"
    assert [s.status for s in signatures(app)] == ["invalidated"]


def _sign_at(app: Flask, slug: str, now: datetime, *, resends: int) -> None:
    """Sign as ada@example.org at `now`, under a resend cap of `resends` (links last 30 days)."""
    with app.app_context():
        sign_petition(
            db.session,
            campaign_by_slug(db.session, slug),
            SignatureInput(
                "Ada", "Lovelace", "ada@example.org", "FR", None, False, None, "en", None
            ),
            now=now,
            policy=SigningPolicy(timedelta(days=30), repeat_email_limit=resends, tally_shards=1),
        )
        db.session.commit()


def test_a_link_goes_at_the_very_moment_it_expires(app: Flask, campaign: str) -> None:
    start = utcnow() - timedelta(days=60)
    _sign_at(app, campaign, start, resends=3)
    [first] = confirmation_links(app)

    _sign_at(app, campaign, start + timedelta(days=30), resends=3)

    [link] = confirmation_links(app)
    assert link.token_hash != first.token_hash


def test_after_the_resend_cap_is_lowered_signing_again_keeps_only_the_newest_links(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    start = utcnow() - timedelta(days=10)
    for minute in range(6):  # under a cap of 5: six emails, six live links
        _sign_at(app, campaign, start + timedelta(minutes=minute), resends=5)
    assert len(confirmation_links(app)) == 6
    with app.app_context():  # the newest had a shorter life (that setting changed too)
        newest = db.session.scalars(
            select(ConfirmationLink).order_by(ConfirmationLink.id.desc())
        ).first()
        assert newest is not None
        newest.expires_at = start + timedelta(days=1)
        db.session.scalars(select(Signature)).one().confirmation_expires_at = newest.expires_at
        db.session.commit()

    _sign_at(app, campaign, utcnow(), resends=2)

    # The expired one and all but the two newest live ones go; the new one is sent.
    assert len(confirmation_links(app)) == 3
    assert [client.get(confirmation_path(app, n)).status_code for n in range(7)] == [
        404, 404, 404, 200, 200, 404, 200
    ]  # fmt: skip


def test_the_second_emails_delete_link_deletes_the_signature_and_every_email_to_it(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    sign(client, campaign)

    response = client.post(manage_path(app, "delete", 1))

    assert response.status_code == 200
    assert signatures(app) == []
    assert [m.template for m in outbox(app)] == ["deleted"]


def test_the_already_signed_email_speaks_the_supporters_language_and_goes_with_the_signature(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr", first_name="Ada", email="ada@example.org")
    client.post(confirmation_path(app))

    sign(client, seeded, query="?lang=fr", first_name="Ada", email="ada@example.org")

    already = outbox(app)[-1]
    assert already.subject == (
        "Vous avez déjà signé\xa0: Halte aux logiciels espions\xa0: un moratoire sur les"
        " technologies de surveillance, maintenant"
    )
    text = email_text(app)
    assert text.startswith("Bonjour Ada,")
    assert f"https://petition.example.org/campaigns/{seeded}?lang=fr\n" in text
    assert client.post(manage_path(app, "delete")).status_code == 200
    assert signatures(app) == []
    assert [m.template for m in outbox(app)] == ["deleted"]


def test_a_pending_signature_at_its_cap_gets_a_new_link_the_moment_its_link_expires(
    app: Flask, campaign: str
) -> None:
    start = utcnow() - timedelta(days=60)
    _sign_at(app, campaign, start, resends=1)
    _sign_at(app, campaign, start, resends=1)
    _sign_at(app, campaign, start + timedelta(days=1), resends=1)
    assert len(outbox(app)) == 2  # the cap of one more email is reached

    _sign_at(app, campaign, start + timedelta(days=30), resends=1)

    assert len(outbox(app)) == 3


def test_a_link_clicked_at_the_very_moment_it_expires_has_expired(
    app: Flask, campaign: str
) -> None:
    start = utcnow() - timedelta(days=60)
    _sign_at(app, campaign, start, resends=1)
    token = confirmation_path(app).rsplit("/", 1)[1]

    with app.app_context():
        assert find_signature_by_token(db.session, token, start + timedelta(days=30) - MICROSECOND)
        with pytest.raises(TokenExpired):
            find_signature_by_token(db.session, token, start + timedelta(days=30))
