"""The purge and the postponements at their edges: what is due at the very moment the policy
says, and not a microsecond before; which of several postponements is in force; what is kept
of the name of the person who recorded one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, insert, select, update

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.outbox.models import OutboxMessage, OutboxStatus
from campaign.privacy.models import AnonymisationPostponement
from campaign.privacy.retention import (
    PostponementInvalid,
    RetentionPolicy,
    anonymisation_schedule,
    postpone_anonymisation,
    purge,
)
from campaign.signing.models import Signature
from tests.factories import make_campaign, sign
from tests.helpers import confirmation_path, outbox, signatures

POLICY = RetentionPolicy(pending_days=30, outbox_days=30, anonymise_months=6)
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _delivery(kind: str, status: str, created: datetime, sent: datetime | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "message_id": f"{kind}-{status}-{created.isoformat()}-{sent}",
        "payload": {},
        "status": status,
        "attempts": 1,
        "next_attempt_at": created,
        "created_at": created,
        "sent_at": sent,
    }


def test_deliveries_of_other_kinds_go_once_finished_for_the_whole_period(app: Flask) -> None:
    edge = NOW - timedelta(days=30)
    long_ago = NOW - timedelta(days=400)
    table = cast(Table, OutboxMessage.__table__)
    rows = {
        "sent on the edge": _delivery("webhook", OutboxStatus.SENT, long_ago, edge),
        "failed, never sent, made on the edge": _delivery(
            "webhook", OutboxStatus.FAILED, edge, None
        ),
        "made long ago, sent just after the edge": _delivery(
            "webhook", OutboxStatus.SENT, long_ago, edge + TICK
        ),
        "failed just after the edge": _delivery("webhook", OutboxStatus.FAILED, edge + TICK, None),
        "pending since long ago": _delivery("webhook", OutboxStatus.PENDING, long_ago, None),
        "being sent since long ago": _delivery("webhook", OutboxStatus.SENDING, long_ago, None),
    }
    with app.app_context():
        ids = {
            name: db.session.execute(insert(table).values(values).returning(table.c.id)).scalar()
            for name, values in rows.items()
        }
        db.session.commit()

        report = purge(db.session, now=NOW, policy=POLICY)
        db.session.commit()

        left = set(db.session.scalars(select(table.c.id)))
    assert {name for name, row_id in ids.items() if row_id in left} == {
        "made long ago, sent just after the edge",
        "failed just after the edge",
        "pending since long ago",
        "being sent since long ago",
    }
    assert report.emails_deleted == 0  # webhooks are no emails


def _set(app: Flask, email: str, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(Signature).where(Signature.email == email).values(**values))
        db.session.commit()


def test_an_unconfirmed_signature_goes_at_the_very_moment_it_is_due(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    edge = NOW - timedelta(days=30)
    for email in ("due@example.org", "young@example.org", "link@example.org", "nolink@example.org"):
        sign(client, campaign, email=email)
    sign(client, campaign, email="kept@example.org")
    client.post(confirmation_path(app))  # the newest link: kept@ is confirmed
    _set(app, "due@example.org", signed_at=edge, confirmation_expires_at=NOW)
    _set(app, "young@example.org", signed_at=edge + TICK, confirmation_expires_at=NOW)
    _set(app, "link@example.org", signed_at=edge, confirmation_expires_at=NOW + TICK)
    _set(app, "nolink@example.org", signed_at=edge, confirmation_expires_at=None)
    _set(app, "kept@example.org", signed_at=edge - timedelta(days=1))
    emails_before = len(outbox(app))

    with app.app_context():
        report = purge(db.session, now=NOW, policy=POLICY)
        db.session.commit()

    assert [s.email for s in signatures(app)] == [
        "young@example.org",
        "link@example.org",
        "kept@example.org",
    ]
    assert report.pending_deleted == 2
    assert report.emails_deleted == 2  # the two confirmation emails
    assert len(outbox(app)) == emails_before - 2
    assert (report.signatures_anonymised, report.campaigns_anonymised) == (0, [])


def test_an_email_goes_at_the_very_moment_it_is_due(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    edge = NOW - timedelta(days=30)
    sign(client, campaign, email="one@example.org")
    sign(client, campaign, email="two@example.org")
    with app.app_context():
        first, second = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))
        for message_id, sent in ((first, edge), (second, edge + TICK)):
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status=OutboxStatus.SENT, sent_at=sent, created_at=edge - timedelta(1))
            )
        db.session.commit()
        # Signed just now, as far as the purge knows: no signature is due.
        db.session.execute(update(Signature).values(signed_at=NOW))
        db.session.commit()

        report = purge(db.session, now=NOW, policy=POLICY)
        db.session.commit()

    assert report.emails_deleted == 1
    assert [m.recipient for m in outbox(app)] == ["two@example.org"]


def test_anonymising_reports_the_campaign_and_its_emails(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="a@example.org")
    client.post(confirmation_path(app))
    with app.app_context():
        db.session.execute(update(Campaign).where(Campaign.slug == campaign).values(closes_at=NOW))
        db.session.execute(update(Signature).values(signed_at=NOW - timedelta(days=1)))
        db.session.commit()

        report = purge(db.session, now=NOW + timedelta(days=200), policy=POLICY)
        db.session.commit()

    assert report.signatures_anonymised == 1
    assert report.campaigns_anonymised == [campaign]
    assert report.emails_deleted == 1  # its confirmation email
    assert report.pending_deleted == 0
    assert outbox(app) == []


def test_the_newest_postponement_is_in_force(app: Flask) -> None:
    closes = datetime(2030, 1, 15, tzinfo=UTC)
    due = datetime(2030, 7, 15, tzinfo=UTC)
    with app.app_context():
        closing = make_campaign(db.session, closes_at=closes)
        recorded = datetime(2030, 2, 1, tzinfo=UTC)
        # Stored newest first: the order of recording decides, not the order of the rows.
        for days, until in ((1, datetime(2030, 9, 1)), (0, datetime(2031, 1, 1))):
            db.session.add(
                AnonymisationPostponement(
                    campaign_id=closing.id,
                    postponed_until=until.replace(tzinfo=UTC),
                    reason=f"hold {days}",
                    recorded_at=recorded + timedelta(days=days),
                )
            )
            db.session.flush()
        db.session.commit()
        schedule = anonymisation_schedule(db.session, closing, 6)
        assert schedule.anonymise_at == datetime(2030, 9, 1, tzinfo=UTC) > due
        assert schedule.postponement_reason == "hold 1"
        assert schedule.closes_at == closes

        # Recorded at the same moment: the one recorded last (the higher id) is in force.
        for reason in ("first", "second"):
            db.session.add(
                AnonymisationPostponement(
                    campaign_id=closing.id,
                    postponed_until=datetime(2030, 10, 1, tzinfo=UTC),
                    reason=reason,
                    recorded_at=datetime(2030, 3, 1, tzinfo=UTC),
                )
            )
            db.session.flush()
        db.session.commit()
        assert anonymisation_schedule(db.session, closing, 6).postponement_reason == "second"


def test_a_postponement_at_its_limits(app: Flask) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with app.app_context():
        closing = make_campaign(db.session, closes_at=now)
        db.session.commit()
        for until, reason, message in (
            (now, "Legal hold", "the new date must be in the future"),
            (now + TICK, " \t\n ", "a postponement needs a reason"),
            (now + TICK, "x" * 501, "the reason must be at most 500 characters"),
        ):
            with pytest.raises(PostponementInvalid) as refused:
                postpone_anonymisation(
                    db.session, closing, until=until, reason=reason, recorded_by=None, now=now
                )
            assert str(refused.value) == message  # what the admin reads
        record = postpone_anonymisation(
            db.session,
            closing,
            until=now + TICK,
            reason="x" * 500,
            recorded_by="  Data   protection " + "o" * 200,
            now=now,
        )
        assert len(record.reason) == 500
        assert record.recorded_by == ("Data protection " + "o" * 200)[:100]
        assert record.recorded_at == now
        blank = postpone_anonymisation(
            db.session, closing, until=now + TICK, reason="Hold", recorded_by=" \n ", now=now
        )
        assert blank.recorded_by is None
        unnamed = postpone_anonymisation(
            db.session, closing, until=now + TICK, reason="Hold", recorded_by=None, now=now
        )
        assert unnamed.recorded_by is None


def test_the_purge_tells_subscribers_and_the_log_what_went(
    app: Flask, client: FlaskClient, campaign: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Webhooks and the audit trail hear of each purge as the signals promise; the operator's
    log says what went, with no personal data."""
    sign(client, campaign, email="stale@example.org")
    sign(client, campaign, email="closing@example.org")
    sign(client, campaign, email="kept@example.org")
    client.post(confirmation_path(app))
    _set(app, "stale@example.org", signed_at=NOW - timedelta(days=31), confirmation_expires_at=NOW)
    later = NOW + timedelta(days=200)  # the campaign closed at NOW: due to be anonymised
    _set(app, "closing@example.org", signed_at=later, confirmation_expires_at=later + TICK)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        stale_id, closing_id = db.session.scalars(
            select(Signature.id).where(Signature.status == "pending").order_by(Signature.id)
        )
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(closes_at=NOW))
        db.session.commit()
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    caplog.set_level(logging.INFO, logger="campaign.privacy.retention")
    with app.app_context(), signals.signature_deleted.connected_to(listen):
        purge(db.session, now=later, policy=POLICY)
        db.session.commit()
        postpone_anonymisation(
            db.session,
            make_campaign(db.session, slug="held"),
            until=later + timedelta(days=1),
            reason="Legal hold",
            recorded_by=None,
            now=later,
        )

    assert [
        (sender, kwargs["signature_ids"], kwargs["reason"], kwargs["now"])
        for sender, kwargs in heard
    ] == [
        (None, [stale_id], "purged", later),  # stale: of no one campaign in particular
        (campaign_id, [closing_id], "purged", later),  # unconfirmed, of the closed campaign
    ]
    assert all(kwargs["session"] is not None for _, kwargs in heard)
    assert [r.getMessage() for r in caplog.records if r.name == "campaign.privacy.retention"] == [
        f"Campaign {campaign}: 1 signatures anonymised",
        "Purge: 2 unconfirmed signatures deleted, 1 signatures anonymised, 3 emails deleted",
        "Anonymisation of campaign held postponed until " + (later + timedelta(days=1)).isoformat(),
    ]


def test_anonymising_one_campaign_leaves_the_others_alone(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        closed = make_campaign(db.session, slug="closed", closes_at=NOW)
        still_open = make_campaign(db.session, slug="still-open")
        db.session.commit()
        slugs = (closed.slug, still_open.slug)
    for slug in slugs:
        sign(client, slug, email=f"confirmed@{slug}.example.org")
        client.post(confirmation_path(app))
        sign(client, slug, email=f"pending@{slug}.example.org")
    with app.app_context():  # all signed just before the purge: none is stale
        db.session.execute(update(Signature).values(signed_at=NOW + timedelta(days=199)))
        db.session.commit()

        report = purge(db.session, now=NOW + timedelta(days=200), policy=POLICY)
        db.session.commit()

    assert [s.email for s in signatures(app)] == [
        "",
        "confirmed@still-open.example.org",
        "pending@still-open.example.org",
    ]
    assert (report.signatures_anonymised, report.pending_deleted) == (1, 1)
    assert report.campaigns_anonymised == ["closed"]
    assert sorted(m.recipient for m in outbox(app)) == [
        "confirmed@still-open.example.org",
        "pending@still-open.example.org",
    ]


def test_one_purge_anonymising_two_campaigns_counts_both(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        slugs = [make_campaign(db.session, slug=s, closes_at=NOW).slug for s in ("first", "second")]
        db.session.commit()
    for slug in slugs:
        sign(client, slug, email=f"someone@{slug}.example.org")
        client.post(confirmation_path(app))
    with app.app_context():
        report = purge(db.session, now=NOW + timedelta(days=200), policy=POLICY)
        db.session.commit()

    assert (report.signatures_anonymised, report.campaigns_anonymised) == (2, ["first", "second"])
    output = app.test_cli_runner().invoke(args=["privacy", "purge"]).output
    assert "anonymised 0 signatures (no campaign)" in output
