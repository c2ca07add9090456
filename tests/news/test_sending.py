"""Sending news to many: queued in batches with paced time slots, behind no confirmation,
once even when two organisers press Send together, resumable, and stopped for anyone who
leaves after Send."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, func, insert, select

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from campaign.news.models import NewsDelivery, NewsMessage
from campaign.news.services import Text, queue_next_batch, save_draft, start_sending
from campaign.organisers.cleanup import BulkAction, SignatureFilters, apply_batch
from campaign.outbox.delivery import claim_due
from campaign.outbox.worker import deliver_batch, drain_all
from campaign.signing.models import Signature, SignatureStatus
from tests.factories import campaign_by_slug, sign
from tests.helpers import confirmation_path, manage_path
from tests.news.helpers import (
    compose,
    deliver_email,
    deliver_news,
    news_id_of,
    press_send,
    queue_news,
)
from tests.races import finished_or_blocked, start
from tests.smtp import SmtpServer


def bulk_supporters(app: Flask, slug: str, count: int, *, locale: str = "en") -> None:
    """`count` confirmed supporters who asked for news, inserted in one statement (as an
    import would leave them): the volume, without signing each over HTTP."""
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, slug).id
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "campaign_id": campaign_id,
                "first_name": "Fan",
                "last_name": str(n),
                "email": f"fan{n}@example.org",
                "email_normalised": f"fan{n}@example.org",
                "country": "FR",
                "opt_in": True,
                "status": SignatureStatus.CONFIRMED,
                "suspect": False,
                "locale": locale,
                "signed_at": now - timedelta(hours=1),
                "confirmed_at": now - timedelta(minutes=50),
                "consent_version": "test",
                "manage_key": secrets.token_hex(16),
                "repeat_emails_sent": 0,
                "modified_at": now,
            }
            for n in range(count)
        ]
        db.session.execute(insert(cast(Table, Signature.__table__)), rows)
        db.session.commit()


def _draft(app: Flask, slug: str) -> int:
    with app.app_context():
        campaign = campaign_by_slug(db.session, slug)
        news = save_draft(db.session, campaign, {"en": Text("News", "Hello")}, now=utcnow())
        db.session.commit()
        return news.id


def test_queuing_many_recipients_goes_in_batches_each_with_its_own_paced_slot(
    app: Flask, campaign: str, organiser_client: FlaskClient
) -> None:
    app.config.update(NEWS_QUEUE_BATCH=1000, NEWS_SEND_RATE=600)
    bulk_supporters(app, campaign, 4500)
    news_id = news_id_of(compose(organiser_client, campaign))
    batches: list[int] = []

    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    def count_batches(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE news_messages SET") and "queued_through" in statement:
            batches.append(1)

    assert press_send(organiser_client, campaign, news_id).status_code == 303
    with app.app_context():
        assert db.session.get(NewsMessage, news_id).recipient_count == 0  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count_batches)
    try:
        assert queue_news(app).sent == 1  # in the worker, not in the organiser's request
    finally:
        event.remove(engine, "before_cursor_execute", count_batches)

    assert len(batches) == 5  # 1000 a transaction, never one per recipient
    with app.app_context():
        news = db.session.get(NewsMessage, news_id)
        assert news is not None and news.state == "queued" and news.recipient_count == 4500
        slots = db.session.execute(
            select(
                func.count(func.distinct(NewsDelivery.signature_id)),
                func.min(NewsDelivery.next_attempt_at),
                func.max(NewsDelivery.next_attempt_at),
            ).where(NewsDelivery.news_id == news_id)
        ).one()
        assert slots[0] == 4500
        # 600 a minute: one every 0.1 s, the last 449.9 s after the first.
        assert abs((slots[2] - slots[1]).total_seconds() - 449.9) < 0.01
        event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "news.send"))
        assert event_row is not None and event_row.row_count == 4500 and event_row.completed


def test_a_confirmation_goes_out_at_once_however_big_the_news_backlog(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    smtp_app.config.update(NEWS_SEND_RATE=60)  # one a second
    bulk_supporters(smtp_app, campaign, 3000)
    news_id = news_id_of(compose(organiser_client, campaign))
    pressed = utcnow()
    press_send(organiser_client, campaign, news_id)
    newcomer = smtp_app.test_client()
    sign(newcomer, campaign, email="newcomer@example.org")

    queue_news(smtp_app)
    report = drain_all(smtp_app)  # what the workers deliver now, every kind at once

    received = [r.recipients[0] for r in smtp_server.received]
    assert "newcomer@example.org" in received  # the confirmation did not wait
    # Besides it, only the news whose slot has come: one a second since Send.
    elapsed = (utcnow() - pressed).total_seconds()
    assert 1 <= report.sent - 1 <= elapsed + 2
    # A minute on, about a minute's worth more has gone: the pace holds.
    later = deliver_news(smtp_app, ahead=timedelta(seconds=60)).sent
    elapsed = (utcnow() - pressed).total_seconds()
    assert 60 - 2 <= later + report.sent - 1 <= 60 + elapsed + 2
    with smtp_app.app_context():
        waiting = db.session.scalar(
            select(func.count()).select_from(NewsDelivery).where(NewsDelivery.status == "pending")
        )
        assert waiting is not None and waiting > 2900


def test_an_interrupted_send_carries_on_where_it_stopped_and_nobody_gets_two(
    app: Flask, campaign: str, organiser_client: FlaskClient
) -> None:
    bulk_supporters(app, campaign, 250)
    news_id = _draft(app, campaign)
    with app.app_context():
        news = db.session.get(NewsMessage, news_id)
        assert news is not None
        assert start_sending(db.session, news, now=utcnow())
        db.session.commit()
        # A worker took the queuing message, queued one batch, and died.
        claimed = claim_due(db.session, "news_queue", utcnow(), 1, 60)
        assert len(claimed) == 1
        db.session.commit()
        queue_next_batch(db.session, news_id, now=utcnow(), batch_size=100, rate_per_minute=600)
        db.session.commit()

    page = organiser_client.get(f"/organiser/campaigns/{campaign}/news/{news_id}")
    assert "(100 so far)" in page.get_data(as_text=True)
    assert queue_news(app).claimed == 0  # its lease holds: nobody else takes it yet
    with app.app_context():  # the lease runs out; another worker carries on
        report = deliver_batch("news_queue", now=lambda: utcnow() + timedelta(minutes=11))
        assert report.sent == 1
    with app.app_context():
        rows = db.session.execute(
            select(func.count(), func.count(func.distinct(NewsDelivery.signature_id))).where(
                NewsDelivery.news_id == news_id
            )
        ).one()
        assert tuple(rows) == (250, 250)
        assert db.session.get(NewsMessage, news_id).state == "queued"  # type: ignore[union-attr]


def test_supporters_removed_or_set_aside_after_send_get_nothing(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    clients = {}
    for name in ("stays", "erased", "invalidated"):
        client = smtp_app.test_client()
        sign(client, campaign, email=f"{name}@example.org", opt_in="y")
        client.post(confirmation_path(smtp_app))
        clients[name] = manage_path(smtp_app, "delete")
    deliver_email(smtp_app)
    before = len(smtp_server.received)
    news_id = news_id_of(compose(organiser_client, campaign))
    press_send(organiser_client, campaign, news_id)
    queue_news(smtp_app)

    assert smtp_app.test_client().post(clients["erased"]).status_code == 200
    with smtp_app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        apply_batch(
            db.session,
            campaign_id,
            SignatureFilters(email="invalidated@example.org"),
            BulkAction.INVALIDATE,
            secret_key=smtp_app.config["SECRET_KEY"],
            now=utcnow(),
            tally_shards=smtp_app.config["TALLY_SHARDS"],
        )
        db.session.commit()

    assert deliver_news(smtp_app).sent == 1
    news_to = [
        r.recipients[0]
        for r in smtp_server.received[before:]
        if "delet" not in str(r.message["Subject"]).lower()
    ]
    assert "stays@example.org" in news_to
    assert "erased@example.org" not in news_to and "invalidated@example.org" not in news_to
    page = organiser_client.get(f"/organiser/campaigns/{campaign}/news/{news_id}")
    assert (
        "<dt>Not sent: stopped news or removed before their turn</dt><dd>2</dd>"
        in page.get_data(as_text=True)
    )


@pytest.mark.postgres
def test_two_organisers_pressing_send_at_the_same_moment_queue_it_once(
    app: Flask, make_app: Any, campaign: str
) -> None:
    bulk_supporters(app, campaign, 30)
    news_id = _draft(app, campaign)
    from tests.races import meet_before

    apps = [app, make_app()]
    results: list[bool] = []

    def press(which: Flask) -> None:
        with which.app_context():
            news = db.session.get(NewsMessage, news_id)
            assert news is not None
            won = start_sending(db.session, news, now=utcnow())
            db.session.commit()
            results.append(won)
            db.session.remove()

    with app.app_context():
        engines = [db.engine]
    with apps[1].app_context():
        engines.append(db.engine)
    with meet_before(engines[0], "UPDATE news_messages SET state") as barrier:
        from sqlalchemy import event

        def wait(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            if statement.startswith("UPDATE news_messages SET state"):
                barrier.wait()

        event.listen(engines[1], "before_cursor_execute", wait)
        try:
            workers = [start(lambda a=a: press(a), f"send-{n}") for n, a in enumerate(apps)]
            for worker in workers:
                worker.outcome()
        finally:
            event.remove(engines[1], "before_cursor_execute", wait)

    assert sorted(results) == [False, True]
    assert queue_news(app).sent == 1  # one queuing message, not two
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(NewsDelivery)
                .where(NewsDelivery.news_id == news_id)
            )
            == 30
        )


@pytest.mark.postgres
def test_queuing_news_never_makes_a_confirmation_wait(
    app: Flask, make_app: Any, campaign: str
) -> None:
    bulk_supporters(app, campaign, 50)
    client = app.test_client()
    sign(client, campaign, email="late@example.org", opt_in="y")
    confirm_path = confirmation_path(app)
    news_id = _draft(app, campaign)
    other = make_app()
    confirming = []

    def confirm() -> None:
        assert other.test_client().post(confirm_path).status_code == 200

    def confirm_meanwhile() -> None:
        worker = start(confirm, "confirm")
        confirming.append(worker)
        confirming.append(finished_or_blocked(worker))  # True: finished, never blocked

    from tests.races import at_statement

    with app.app_context():
        news = db.session.get(NewsMessage, news_id)
        assert news is not None
        start_sending(db.session, news, now=utcnow())
        db.session.commit()
        with at_statement(db.engine, "INSERT INTO outbox_messages", confirm_meanwhile):
            queue_next_batch(
                db.session, news_id, now=utcnow(), batch_size=1000, rate_per_minute=600
            )
            # The batch's transaction is still open, its rows written: the confirmation
            # has finished all the same.
            assert confirming[1] is True
            db.session.commit()
    confirming[0].outcome()
