"""What signing stores and announces, read straight from the service: the time it was given,
the link's expiry, the campaign's own answers, and one `signature_created` signal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from campaign import signals
from campaign.extensions import db
from campaign.signing.models import ConfirmationLink, Signature
from campaign.signing.services import (
    SignatureInput,
    SigningPolicy,
    confirm_signature,
    sign_petition,
)
from tests.factories import campaign_by_slug
from tests.helpers import confirmation_path, email_text, outbox

SIGNED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
POLICY = SigningPolicy(timedelta(days=30), repeat_email_limit=3, tally_shards=1)


def _sign(app: Flask, slug: str, now: datetime) -> int:
    with app.app_context():
        campaign = campaign_by_slug(db.session, slug)
        data = SignatureInput(
            "Ada", "Lovelace", "ada@example.org", "FR", None, False, None, "en", None,
            answers={"member": True, "why": "Because"},
        )  # fmt: skip
        sign_petition(db.session, campaign, data, now=now, policy=POLICY)
        db.session.commit()
        return campaign.id


def test_a_signature_is_stored_with_its_time_its_links_expiry_and_its_answers(
    app: Flask, campaign: str
) -> None:
    _sign(app, campaign, SIGNED)

    with app.app_context():
        signature = db.session.scalars(select(Signature)).one()
        assert signature.signed_at == SIGNED
        assert signature.confirmation_expires_at == SIGNED + timedelta(days=30)
        assert signature.repeat_emails_sent == 0
        assert signature.answers == {"member": True, "why": "Because"}


def test_signing_announces_the_new_signature_once(app: Flask, campaign: str) -> None:
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    with signals.signature_created.connected_to(listen):
        campaign_id = _sign(app, campaign, SIGNED)
        _sign(app, campaign, SIGNED + timedelta(hours=1))  # the same mailbox again

    with app.app_context():
        signature_id = db.session.scalars(select(Signature.id)).one()
    [(sender, kwargs)] = heard
    assert sender == campaign_id
    assert kwargs["signature_id"] == signature_id and kwargs["now"] == SIGNED
    assert kwargs["session"] is not None


def test_confirming_announces_the_confirmation_once(app: Flask, campaign: str) -> None:
    campaign_id = _sign(app, campaign, SIGNED)
    with app.app_context():
        link = db.session.scalars(select(ConfirmationLink)).one()
    token = _token_of(app)
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    confirmed_at = SIGNED + timedelta(minutes=5)
    with app.app_context(), signals.signature_confirmed.connected_to(listen):
        for _ in range(2):  # the second click finds it confirmed already
            confirm_signature(db.session, token, now=confirmed_at, tally_shards=1)
            db.session.commit()

    [(sender, kwargs)] = heard
    assert sender == campaign_id
    assert kwargs["signature_id"] == link.signature_id and kwargs["now"] == confirmed_at


def _token_of(app: Flask) -> str:
    return confirmation_path(app).rsplit("/", 1)[1]


def test_the_first_email_greets_the_signer_in_their_language_with_a_link_in_it(
    app: Flask, seeded: str
) -> None:
    with app.app_context():
        data = SignatureInput(
            "Ada", "Lovelace", "ada@example.org", "FR", None, False, None, "fr", None
        )
        sign_petition(
            db.session, campaign_by_slug(db.session, seeded), data, now=SIGNED, policy=POLICY
        )
        db.session.commit()

    [email] = outbox(app)
    assert "Halte aux logiciels espions" in email.subject
    text = email_text(app)
    assert text.startswith("Bonjour Ada,")
    assert re.search(r"/confirm/[\w-]+\?lang=fr\n", text)
