"""Webhook events end to end: written with the change that causes them, delivered by the
outbox's worker to a real receiver on loopback, signed as Standard Webhooks says, retried
with the same id until accepted, and carrying no personal data once a person withdrew."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event as sql_event
from sqlalchemy import select

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.outbox.delivery import DeliveryReport, deliver_due
from campaign.outbox.models import OutboxMessage, OutboxStatus
from campaign.webhooks.delivery import WebhookSender, webhook_policy
from tests.factories import sign
from tests.helpers import confirmation_path, manage_path, signatures
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_transport import verify


def deliver_webhooks(app: Flask, later: timedelta = timedelta(0)) -> DeliveryReport:
    """One round of the webhook kind's worker, as if `later` had passed."""
    with app.app_context():
        try:
            return deliver_due(
                db.session,
                "webhook",
                WebhookSender(),
                now=lambda: utcnow() + later,
                policy=webhook_policy(app.config),
            )
        finally:
            db.session.remove()


def webhook_rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


@pytest.fixture
def endpoint(app: Flask, runner: FlaskCliRunner, campaign: str, receiver: Receiver) -> str:
    """The receiver, added as the campaign's endpoint; its secret."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    result = runner.invoke(args=["webhooks", "add", campaign, receiver.url])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _sign_and_confirm(app: Flask, client: FlaskClient, slug: str, **form: str) -> int:
    sign(client, slug, **form)
    assert client.post(confirmation_path(app)).status_code == 200
    return signatures(app)[-1].id


def test_a_confirmed_signature_reaches_a_receiver_that_fails_first_then_succeeds(
    app: Flask, client: FlaskClient, campaign: str, receiver: Receiver, endpoint: str
) -> None:
    receiver.statuses = [500, 200]
    sign(client, campaign, email="ada@example.org", opt_in="y")
    assert webhook_rows(app) == []  # pending: nothing to announce yet
    client.post(confirmation_path(app))
    [row] = webhook_rows(app)
    assert row.payload is not None and "ada@example.org" not in json.dumps(row.payload)

    first = deliver_webhooks(app)
    assert first.retried == 1 and webhook_rows(app)[0].status == OutboxStatus.PENDING
    assert deliver_webhooks(app).claimed == 0  # not due yet: backoff
    second = deliver_webhooks(app, later=timedelta(minutes=5))

    assert second.sent == 1 and webhook_rows(app)[0].status == OutboxStatus.SENT
    failed, accepted = receiver.received
    assert failed.headers["webhook-id"] == accepted.headers["webhook-id"] == row.message_id
    assert verify(endpoint, accepted.headers, accepted.body)
    event = json.loads(accepted.body)
    assert event["type"] == "signature.confirmed"
    [stored] = signatures(app)
    assert event["data"]["identifiers"] == [f"campaign:signature-{stored.id}"]
    assert event["data"]["person"]["email_addresses"][0] == {
        "address": "ada@example.org",
        "primary": True,
        "status": "subscribed",
    }


def test_unsubscribing_and_deleting_send_identifiers_only(
    app: Flask, client: FlaskClient, campaign: str, receiver: Receiver, endpoint: str
) -> None:
    signature_id = _sign_and_confirm(app, client, campaign, email="ada@example.org", opt_in="y")
    client.post(manage_path(app, "unsubscribe"))
    client.post(manage_path(app, "delete"))

    report = deliver_webhooks(app)

    # The confirmation's event was not sent: its signature was gone when its turn came.
    assert report.sent == 2 and report.failed == 1
    events = [json.loads(got.body) for got in receiver.received]
    assert [e["type"] for e in events] == ["signature.unsubscribed", "signature.deleted"]
    for event, got in zip(events, receiver.received, strict=True):
        assert event["data"] == {
            "identifiers": [f"campaign:signature-{signature_id}"],
            "petition": f"campaign:{campaign}",
        }
        assert b"ada" not in got.body and b"Lovelace" not in got.body
        assert verify(endpoint, got.headers, got.body)
    for row in webhook_rows(app):
        assert "ada@example.org" not in json.dumps(row.payload)


def test_nothing_is_queued_for_a_change_that_is_rolled_back(
    app: Flask, client: FlaskClient, campaign: str, endpoint: str
) -> None:
    from campaign.signing.services import confirm_signature

    sign(client, campaign)
    token = confirmation_path(app).rsplit("/", 1)[1]
    with app.app_context():
        confirm_signature(db.session, token, now=utcnow(), tally_shards=1)
        assert (
            len(
                db.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "webhook")
                ).all()
            )
            == 1
        )
        db.session.rollback()
    assert webhook_rows(app) == []


def test_an_endpoint_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    app: Flask, client: FlaskClient, campaign: str, receiver: Receiver, endpoint: str
) -> None:
    _sign_and_confirm(app, client, campaign)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False  # as if its DNS now pointed inside

    report = deliver_webhooks(app)

    assert report.failed == 1 and receiver.received == []
    [row] = webhook_rows(app)
    assert row.status == OutboxStatus.FAILED and "refused" in (row.last_error or "")


def test_a_receiver_down_for_more_than_a_day_gets_the_event_marked_failed(
    app: Flask, client: FlaskClient, campaign: str, receiver: Receiver, endpoint: str
) -> None:
    receiver.statuses = [503]
    _sign_and_confirm(app, client, campaign)

    assert deliver_webhooks(app).retried == 1
    report = deliver_webhooks(app, later=timedelta(hours=25))

    assert report.failed == 1
    assert webhook_rows(app)[0].status == OutboxStatus.FAILED
    assert webhook_rows(app)[0].last_error == "HTTP 503"


def test_a_disabled_endpoint_gets_nothing(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    campaign: str,
    receiver: Receiver,
    endpoint: str,
) -> None:
    endpoint_id = runner.invoke(args=["webhooks", "list"]).output.split("\t")[0]
    runner.invoke(args=["webhooks", "disable", endpoint_id])
    _sign_and_confirm(app, client, campaign)
    assert webhook_rows(app) == [] and receiver.received == []


def test_a_paper_signature_is_announced_as_confirmed_with_its_origin(
    app: Flask,
    runner: FlaskCliRunner,
    campaign: str,
    receiver: Receiver,
    endpoint: str,
    tmp_path: Path,
) -> None:
    sheet = tmp_path / "stall.csv"
    sheet.write_text("first_name,last_name,email,country,postcode\r\nRosa,Parks,,US,\r\n")
    assert runner.invoke(args=["signatures", "import", campaign, str(sheet)]).exit_code == 0

    assert deliver_webhooks(app).sent == 1
    event = json.loads(receiver.received[0].body)
    assert event["type"] == "signature.confirmed"
    assert event["data"]["origin_system"] == "paper"
    assert event["data"]["person"]["email_addresses"] == []


def test_a_bulk_removal_reads_the_endpoints_once_and_queues_one_event_each(
    app: Flask, endpoint: str, campaign: str
) -> None:
    # A clean-up may invalidate thousands at once: no query per signature.
    statements: list[str] = []
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        sql_event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        signals.signature_invalidated.send(
            campaign_id, session=db.session, signature_ids=list(range(1, 51)), now=utcnow()
        )
        db.session.commit()
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2, reads  # the endpoints, the campaign's slug
    assert [row.payload["type"] for row in webhook_rows(app)] == ["signature.deleted"] * 50


def test_the_purge_deletes_old_finished_deliveries_and_keeps_the_rest(
    app: Flask, runner: FlaskCliRunner, endpoint: str, campaign: str
) -> None:
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        signals.signature_invalidated.send(
            campaign_id, session=db.session, signature_ids=[1, 2, 3], now=utcnow()
        )
        db.session.commit()
        old, finished_recently, pending = webhook_ids = [r.id for r in webhook_rows(app)]
        long_ago = utcnow() - timedelta(days=31)
        for message_id, status, when in (
            (old, OutboxStatus.SENT, long_ago),
            (finished_recently, OutboxStatus.FAILED, utcnow()),
            (pending, OutboxStatus.PENDING, long_ago),
        ):
            row = db.session.get(OutboxMessage, message_id)
            assert row is not None
            row.status, row.created_at, row.sent_at = status, when, when
        db.session.commit()
        assert len(webhook_ids) == 3

    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0

    assert [r.id for r in webhook_rows(app)] == [finished_recently, pending]
