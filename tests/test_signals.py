"""Events at the state changes: sent inside the transaction, with identifiers only, so a
subscriber's rows are committed or rolled back with the change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from blinker import Signal
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, scoped_session

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.cleanup import BulkAction, SignatureFilters, apply_batch
from campaign.organisers.services import create_organiser
from campaign.organisers.settings import CampaignSettings, update_campaign_settings
from campaign.outbox.models import OutboxMessage
from campaign.outbox.queue import enqueue
from campaign.signing.services import confirm_signature
from tests.factories import sign
from tests.helpers import confirmation_path, confirmed_count, manage_path, signatures

ALL = {
    "signature_created": signals.signature_created,
    "signature_confirmed": signals.signature_confirmed,
    "signature_unsubscribed": signals.signature_unsubscribed,
    "signature_deleted": signals.signature_deleted,
    "signature_invalidated": signals.signature_invalidated,
    "campaign_published": signals.campaign_published,
    "campaign_closed": signals.campaign_closed,
}


@contextmanager
def recording() -> Iterator[list[tuple[str, Any, dict[str, Any]]]]:
    """Every signal sent meanwhile: (name, sender, keyword arguments)."""
    sent: list[tuple[str, Any, dict[str, Any]]] = []
    with ExitStack() as stack:
        for name, signal in ALL.items():

            def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
                sent.append((_name, sender, kwargs))

            stack.enter_context(signal.connected_to(receiver))
        yield sent


def test_a_subscribers_row_is_committed_with_the_change_and_rolled_back_with_it(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    def write_row(sender: int, *, session: Session, signature_id: int, now: datetime) -> None:
        enqueue(session, "test-signal", payload={"confirmed": signature_id}, now=now)

    sign(client, campaign)
    token = confirmation_path(app).rsplit("/", 1)[1]
    [pending] = signatures(app)
    with cast(Signal, signals.signature_confirmed).connected_to(write_row):
        # The confirmation fails after the flush (its transaction is rolled back) …
        with app.app_context():
            confirm_signature(db.session, token, now=utcnow(), tally_shards=8)
            assert len(signal_rows(app, db.session)) == 1  # written, in the same transaction
            db.session.rollback()
        assert signal_rows(app) == []
        assert signatures(app)[0].status == "pending" and confirmed_count(app, campaign) == 0

        # … then succeeds: the row is there with it.
        assert client.post(f"/confirm/{token}").status_code in (200, 303)
    assert signatures(app)[0].status == "confirmed"
    assert signal_rows(app) == [{"confirmed": pending.id}]


def test_a_bad_confirmation_link_sends_no_signal(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    with recording() as sent:
        assert client.post("/confirm/not-a-real-token").status_code < 500
    assert sent == []


def test_each_state_change_sends_its_signal_with_identifiers_only(
    app: Flask, client: FlaskClient, campaign: str, tmp_path: Path
) -> None:
    seen: list[tuple[str, Any, dict[str, Any]]] = []
    with recording() as sent:
        sign(client, campaign, email="first@example.org", opt_in="y")
        [first] = signatures(app)
        client.post(confirmation_path(app))
        client.post(manage_path(app, "unsubscribe"))
        client.post(manage_path(app, "delete"))
    with app.app_context():
        campaign_id = db.session.scalars(select(Campaign.id).where(Campaign.slug == campaign)).one()
    assert [(name, sender) for name, sender, _ in sent] == [
        ("signature_created", campaign_id),
        ("signature_confirmed", campaign_id),
        ("signature_unsubscribed", campaign_id),
        ("signature_deleted", campaign_id),
    ]
    assert [kwargs.get("signature_id", kwargs.get("signature_ids")) for _, _, kwargs in sent] == [
        first.id,
        first.id,
        first.id,
        [first.id],
    ]
    assert sent[-1][2]["reason"] == "erased"
    seen += sent

    with recording() as sent:
        sign(client, campaign, email="stale@example.org")
        sign(client, campaign, email="suspect@example.org")
        stale, suspect = signatures(app)
        later = (utcnow() + timedelta(days=400)).isoformat()
        result = app.test_cli_runner().invoke(args=["privacy", "purge", "--now", later])
        assert result.exit_code == 0, result.output
    purged = [(sender, kwargs) for name, sender, kwargs in sent if name == "signature_deleted"]
    assert [(s, k["signature_ids"], k["reason"]) for s, k in purged] == [
        (None, [stale.id, suspect.id], "purged")
    ]
    seen += sent

    sign(client, campaign, email="again@example.org")
    [again] = signatures(app)
    with recording() as sent, app.app_context():
        apply_batch(
            db.session,
            campaign_id,
            SignatureFilters(),
            BulkAction.INVALIDATE,
            secret_key="test-secret-key",
            now=utcnow(),
            tally_shards=8,
        )
        db.session.commit()
    assert [(n, s, k["signature_ids"]) for n, s, k in sent] == [
        ("signature_invalidated", campaign_id, [again.id])
    ]
    seen += sent

    content = tmp_path / "content"
    content.mkdir()
    (content / "new-one.md").write_text(
        "slug: new-one\ntitle: A new one\nsummary: S.\ntarget: T\ngoal: 10\n\nBody.\n",
        encoding="utf-8",
    )
    with recording() as sent:
        result = app.test_cli_runner().invoke(
            args=["campaigns", "seed", "--directory", str(content)]
        )
        assert result.exit_code == 0, result.output
        app.test_cli_runner().invoke(args=["campaigns", "seed", "--directory", str(content)])
    with app.app_context():
        new_id = db.session.scalars(select(Campaign.id).where(Campaign.slug == "new-one")).one()
    assert [(n, s) for n, s, _ in sent] == [("campaign_published", new_id)]  # not on re-seeding
    seen += sent

    with recording() as sent, app.app_context():
        organiser = create_organiser(
            db.session, "admin@example.org", "a long enough passphrase 42", admin=True, now=utcnow()
        )
        row = db.session.get(Campaign, new_id)
        assert row is not None
        paused = replace(CampaignSettings.of(row), signing_paused=True)
        update_campaign_settings(db.session, row, paused, actor=organiser, now=utcnow())
        update_campaign_settings(db.session, row, paused, actor=organiser, now=utcnow())
        db.session.commit()
    assert [(n, s) for n, s, _ in sent] == [("campaign_closed", new_id)]
    seen += sent

    # Identifiers, a reason, the session and the time: nothing about a person.
    for name, _, kwargs in seen:
        assert isinstance(kwargs.pop("session"), scoped_session | Session)
        assert isinstance(kwargs.pop("now"), datetime)
        kwargs.pop("reason", None)
        ids = kwargs.pop("signature_id", None), kwargs.pop("signature_ids", None)
        assert all(i is None or isinstance(i, int | list) for i in ids), name
        assert kwargs == {}, name


def test_signal_arguments_name_no_person(app: Flask, client: FlaskClient, campaign: str) -> None:
    with recording() as sent:
        sign(client, campaign, email="private@example.org", first_name="Private")
        client.post(confirmation_path(app))
    assert [name for name, _, _ in sent] == ["signature_created", "signature_confirmed"]
    for _, _, kwargs in sent:
        values = [v for k, v in kwargs.items() if k not in ("session", "now")]
        assert all(isinstance(v, int | list) for v in values), kwargs
        assert "private" not in repr(values).lower()


def signal_rows(app: Flask, session: Any = None) -> list[Any]:
    table = cast(Table, OutboxMessage.__table__)
    query = select(table.c.payload).where(table.c.kind == "test-signal").order_by(table.c.id)
    if session is not None:
        return list(session.scalars(query))
    with app.app_context():
        return list(db.session.scalars(query))
