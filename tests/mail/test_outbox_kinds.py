"""One outbox, many kinds: each kind has its own sender and its own worker loop, a stalled
kind never delays email, and one bad message fails alone."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select, update

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import ClaimedMessage, SmtpTransport
from campaign.mail.models import EmailMessage
from campaign.mail.outbox import enqueue_email
from campaign.outbox.delivery import (
    Claimed,
    DeliveryReport,
    PermanentFailure,
    Policy,
    TemporaryFailure,
    claim_due,
    deliver_due,
)
from campaign.outbox.models import OutboxMessage
from campaign.outbox.queue import enqueue
from campaign.outbox.registry import register_sender, unregister_sender
from campaign.outbox.worker import run_workers
from tests.factories import sign
from tests.helpers import deliver, outbox
from tests.smtp import SmtpServer

MICROSECOND = timedelta(microseconds=1)


@dataclass
class RecordingKind:
    """A kind whose sender records each payload; it can be told to hang until released."""

    name: str
    hang: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def sender(self) -> RecordingKind:
        return self

    def open(self) -> None:
        pass

    def send(self, message: Claimed) -> None:
        self.started.set()
        if self.hang:
            assert self.release.wait(30), "never released"
        self.delivered.append(message.row["payload"])

    def close(self) -> None:
        pass


@pytest.fixture
def make_kind() -> Iterator[Callable[..., RecordingKind]]:
    made: list[RecordingKind] = []

    def build(name: str, *, hang: bool = False) -> RecordingKind:
        kind = RecordingKind(name, hang=hang)
        register_sender(name, kind.sender, policy=lambda _config: Policy(poll_seconds=0.05))
        made.append(kind)
        return kind

    yield build
    for kind in made:
        kind.release.set()
        unregister_sender(kind.name)


def queue(app: Flask, kind: str, payload: dict[str, Any]) -> None:
    with app.app_context():
        enqueue(db.session, kind, payload=payload, now=utcnow())
        db.session.commit()


def statuses(app: Flask, kind: str) -> list[str]:
    with app.app_context():
        table = cast(Table, OutboxMessage.__table__)
        rows = db.session.execute(
            select(table.c.status).where(table.c.kind == kind).order_by(table.c.id)
        ).scalars()
        return list(rows)


def wait_for(condition: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_hanging_sender_of_another_kind_does_not_delay_email(
    smtp_app: Flask,
    client: FlaskClient,
    campaign: str,
    smtp_server: SmtpServer,
    make_kind: Callable[..., RecordingKind],
) -> None:
    slow = make_kind("test-slow", hang=True)
    queue(smtp_app, "test-slow", {"event": "signature.confirmed", "n": 1})
    stop = threading.Event()
    workers = threading.Thread(target=run_workers, args=(smtp_app, stop))
    workers.start()
    try:
        assert slow.started.wait(15), "the slow kind was never claimed"
        # The slow receiver is stuck on its message; a supporter signs meanwhile.
        assert sign(client, campaign, email="prompt@example.org").status_code == 303

        assert wait_for(lambda: len(smtp_server.received) == 1), "email waited for the slow kind"
        assert smtp_server.received[0].recipients == ["prompt@example.org"]
        assert not slow.release.is_set() and slow.delivered == []
        assert statuses(smtp_app, "test-slow") == ["sending"]

        slow.release.set()
        assert wait_for(lambda: statuses(smtp_app, "test-slow") == ["sent"])
    finally:
        slow.release.set()
        stop.set()
        workers.join(timeout=30)
    assert not workers.is_alive()
    assert slow.delivered == [{"event": "signature.confirmed", "n": 1}]
    assert [m.status for m in outbox(smtp_app)] == ["sent"]


class PoisonedSmtp(SmtpTransport):
    """The real SMTP transport, except that one recipient makes it raise what nobody
    expected."""

    def send(self, message: ClaimedMessage) -> None:
        if message.recipient == "poison@example.org":
            raise RuntimeError(f"unexpected trouble with {message.recipient}")
        super().send(message)


def test_a_poison_email_fails_alone_and_the_rest_of_its_batch_is_delivered(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    for address in ("first@example.org", "poison@example.org", "last@example.org"):
        assert sign(client, campaign, email=address).status_code == 303

    report = deliver(smtp_app, PoisonedSmtp(timeout=5))

    assert (report.sent, report.retried, report.failed) == (2, 0, 1)
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "first@example.org",
        "last@example.org",
    ]
    by_recipient = {m.recipient: m for m in outbox(smtp_app)}
    poison = by_recipient["poison@example.org"]
    assert poison.status == "failed"
    assert poison.last_error is not None and "RuntimeError" in poison.last_error
    assert "poison@" not in poison.last_error
    # Failed for good: not claimed again, even long after.
    assert deliver(smtp_app, PoisonedSmtp(timeout=5), now_offset=timedelta(hours=1)).claimed == 0


def test_an_address_smtplib_cannot_encode_does_not_hold_back_the_emails_after_it(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    with smtp_app.app_context():
        for address in ("before@example.org", "josé@example.org", "after@example.org"):
            enqueue_email(
                db.session,
                recipient=address,
                subject="Hello",
                template="no-template-needed",
                context={},
                now=utcnow(),
                locale="en",
            )
        # Stored bodies: rendering is not what this test is about.
        db.session.execute(
            update(EmailMessage).values(template=None, body_text="Hi", body_html="<p>Hi")
        )
        db.session.commit()

    report = deliver(smtp_app, SmtpTransport(timeout=5))

    received = sorted(r.recipients[0] for r in smtp_server.received)
    assert {"before@example.org", "after@example.org"} <= set(received)
    assert report.claimed == 3 and report.retried == 0
    statuses = {m.recipient: m.status for m in outbox(smtp_app)}
    assert statuses["before@example.org"] == statuses["after@example.org"] == "sent"
    # This server offers no SMTPUTF8: that message alone fails for good, never stuck.
    assert statuses["josé@example.org"] == "failed"
    assert report.sent == 2 and report.failed == 1


def test_flask_mail_send_delivers_every_kind(
    smtp_app: Flask,
    client: FlaskClient,
    campaign: str,
    smtp_server: SmtpServer,
    make_kind: Callable[..., RecordingKind],
) -> None:
    other = make_kind("test-other")
    queue(smtp_app, "test-other", {"hello": "world"})
    sign(client, campaign)

    result = smtp_app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert "sent 2, to retry 0, failed 0" in result.output
    assert other.delivered == [{"hello": "world"}]
    assert len(smtp_server.received) == 1


def test_a_message_whose_lease_ran_out_before_its_turn_is_left_for_the_next_claim(
    app: Flask, make_kind: Callable[..., RecordingKind], caplog: pytest.LogCaptureFixture
) -> None:
    kind = make_kind("test-lease")
    for n in (1, 2, 3):
        queue(app, "test-lease", {"n": n})
    start = utcnow()
    # The second's turn comes at the very moment its lease ends; the third's after it.
    clock = iter([start, start, start + timedelta(seconds=1), start + timedelta(seconds=120)])
    caplog.set_level(logging.INFO, logger="campaign.outbox.delivery")

    def now() -> Any:
        return next(clock, start + timedelta(seconds=300))

    with app.app_context():
        report = deliver_due(
            db.session, "test-lease", kind, now=now, policy=Policy(lease_seconds=120)
        )
        db.session.remove()

    # The first was sent; the second's lease had run out (another worker may hold it now).
    assert (report.sent, report.expired) == (1, 2)
    assert kind.delivered == [{"n": 1}]
    assert statuses(app, "test-lease") == ["sent", "sending", "sending"]
    ids = [m.id for m in _scripted(app, "test-lease")]
    assert _delivery_log(caplog) == [
        f"test-lease {ids[1]}: lease ran out before its turn; left for the next claim",
        f"test-lease {ids[2]}: lease ran out before its turn; left for the next claim",
    ]


class ScriptedSender:
    """Each message's payload says what happens to it: sent, or the exception to raise."""

    def __init__(self, opening: Exception | None = None, closing: Exception | None = None) -> None:
        self.opening, self.closing = opening, closing

    def open(self) -> None:
        if self.opening is not None:
            raise self.opening

    def send(self, message: Claimed) -> None:
        outcome = message.row["payload"]["outcome"]
        if outcome == "temporary":
            raise TemporaryFailure("451 mailbox busy, try ada@example.org later")
        if outcome == "permanent":
            raise PermanentFailure("550 no such user ada@example.org " + "x" * 600)
        if outcome == "crash":
            raise KeyError("ada@example.org")

    def close(self) -> None:
        if self.closing is not None:
            raise self.closing


def _queue_outcomes(app: Flask, *outcomes: str) -> list[int]:
    for outcome in outcomes:
        queue(app, "test-scripted", {"outcome": outcome})
    return [m.id for m in _scripted(app)]


def _scripted(app: Flask, kind: str = "test-scripted") -> list[Any]:
    """A test kind's rows (id, status, last_error, lease_expires_at), by the table: no model
    maps the kind."""
    table = cast(Table, OutboxMessage.__table__)
    with app.app_context():
        return list(
            db.session.execute(
                select(table.c.id, table.c.status, table.c.last_error, table.c.lease_expires_at)
                .where(table.c.kind == kind)
                .order_by(table.c.id)
            )
        )


def _deliver_scripted(
    app: Flask, sender: ScriptedSender, at: timedelta = timedelta(0), **policy: Any
) -> DeliveryReport:
    with app.app_context():
        return deliver_due(
            db.session,
            "test-scripted",
            sender,
            now=lambda: utcnow() + at,
            policy=Policy(**policy),
        )


def _delivery_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "campaign.outbox.delivery"]


def test_each_outcome_is_counted_stored_and_logged_without_the_address(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _queue_outcomes(
        app, "sent", "temporary", "permanent", "crash", "sent", "temporary", "permanent"
    )
    caplog.set_level(logging.INFO, logger="campaign.outbox.delivery")

    report = _deliver_scripted(app, ScriptedSender())

    busy = "451 mailbox busy, try <address> later"
    refused = ("550 no such user <address> " + "x" * 600)[:500]
    crashed = "KeyError: '<address>'"
    assert (report.sent, report.retried, report.failed, report.expired) == (2, 2, 3, 0)
    assert report.errors == [busy, refused, crashed, busy, refused]
    rows = {m.id: m for m in _scripted(app)}
    assert [rows[i].status for i in ids] == [
        "sent", "pending", "failed", "failed", "sent", "pending", "failed"
    ]  # fmt: skip
    assert [rows[i].last_error for i in ids] == [None, busy, refused, crashed, None, busy, refused]
    assert {rows[i].lease_expires_at for i in ids} == {None}  # settled: nobody holds them
    log = _delivery_log(caplog)
    retried = [line for line in log if "will be retried" in line]
    assert len(retried) == 2
    for message_id, line in zip((ids[1], ids[5]), retried, strict=True):
        assert re.fullmatch(
            rf"test-scripted {message_id} will be retried in \d+ s: {re.escape(busy)}", line
        )
    assert [line for line in log if "failed for good" in line] == [
        f"test-scripted {ids[2]} failed for good: {refused}",
        f"test-scripted {ids[3]} failed for good: {crashed}",
        f"test-scripted {ids[6]} failed for good: {refused}",
    ]
    assert "ada@example.org" not in "\n".join(log)


def test_a_message_still_failing_after_give_up_after_fails_for_good_and_says_so(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _queue_outcomes(app, "temporary", "temporary", "sent")
    caplog.set_level(logging.INFO, logger="campaign.outbox.delivery")

    report = _deliver_scripted(
        app, ScriptedSender(), at=timedelta(hours=2), give_up_after=timedelta(hours=1)
    )

    busy = "451 mailbox busy, try <address> later"
    assert (report.sent, report.retried, report.failed) == (1, 0, 2)
    assert report.errors == [busy, busy]
    assert [m.status for m in _scripted(app)] == ["failed", "failed", "sent"]
    assert _delivery_log(caplog) == [
        f"test-scripted {ids[0]} failed after 1 attempts over 1:00:00: {busy}",
        f"test-scripted {ids[1]} failed after 1 attempts over 1:00:00: {busy}",
    ]


def test_when_the_sender_cannot_open_every_message_waits_with_the_reason(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    _queue_outcomes(app, "sent", "sent")
    caplog.set_level(logging.INFO, logger="campaign.outbox.delivery")

    report = _deliver_scripted(app, ScriptedSender(opening=OSError("no route to host")))

    reason = "OSError: no route to host"
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    assert report.errors == [reason, reason]
    assert [(m.status, m.last_error) for m in _scripted(app)] == [("pending", reason)] * 2
    assert _delivery_log(caplog)[0] == f"Outbox test-scripted: opening the sender failed: {reason}"


def test_flask_mail_send_adds_up_every_kind_and_every_batch(
    app: Flask, make_kind: Callable[..., RecordingKind]
) -> None:
    register_sender("test-scripted", ScriptedSender, policy=lambda _config: Policy(batch_size=2))
    try:
        _queue_outcomes(app, "sent", "sent", "sent", "temporary", "permanent", "crash")
        make_kind("test-other")
        queue(app, "test-other", {"n": 1})

        result = app.test_cli_runner().invoke(args=["mail", "send"])
    finally:
        unregister_sender("test-scripted")

    assert result.exit_code == 0, result.output
    assert "sent 4, to retry 1, failed 2" in result.output


def test_reports_add_up_field_by_field() -> None:
    total = DeliveryReport()
    for n in (1, 2):
        total.add(
            DeliveryReport(sent=n, retried=2 * n, failed=3 * n, expired=4 * n, errors=[str(n)])
        )

    assert (total.sent, total.retried, total.failed, total.expired) == (3, 6, 9, 12)
    assert total.errors == ["1", "2"] and total.claimed == 30


def _queue_at(app: Flask, kind: str, at: datetime, n: int) -> None:
    with app.app_context():
        enqueue(db.session, kind, payload={"n": n, "outcome": "sent"}, now=at)
        db.session.commit()


def _claim(app: Flask, kind: str, now: datetime, limit: int = 10) -> list[int]:
    with app.app_context():
        claimed = claim_due(db.session, kind, now, limit, lease_seconds=120)
        db.session.commit()
        return [message.row["payload"]["n"] for message in claimed]


def test_a_message_is_due_at_the_very_moment_set_for_it_and_a_lease_ends_at_its_own(
    app: Flask,
) -> None:
    start = utcnow()
    _queue_at(app, "test-scripted", start, 1)

    assert _claim(app, "test-scripted", start - MICROSECOND) == []
    assert _claim(app, "test-scripted", start) == [1]
    # Its worker stalled: the lease runs out at start + 120 s, not a microsecond before.
    assert _claim(app, "test-scripted", start + timedelta(seconds=120) - MICROSECOND) == []
    assert _claim(app, "test-scripted", start + timedelta(seconds=120)) == [1]


def test_a_claim_takes_at_most_its_batch_the_longest_waiting_first(app: Flask) -> None:
    start = utcnow()
    _queue_at(app, "test-scripted", start + timedelta(minutes=2), 1)
    _queue_at(app, "test-scripted", start + timedelta(minutes=1), 2)
    _queue_at(app, "test-scripted", start + timedelta(minutes=1), 3)
    later = start + timedelta(minutes=5)

    assert _claim(app, "test-scripted", later, limit=1) == [2]
    assert _claim(app, "test-scripted", later, limit=2) == [1, 3]


def test_a_delivery_round_sends_one_batch(app: Flask) -> None:
    _queue_outcomes(app, "sent", "sent", "sent")

    report = _deliver_scripted(app, ScriptedSender(), batch_size=2)

    assert report.sent == 2
    assert [m.status for m in _scripted(app)] == ["sent", "sent", "pending"]


def test_a_sender_that_fails_to_close_is_logged_and_what_it_sent_stays_sent(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    _queue_outcomes(app, "sent")
    caplog.set_level(logging.INFO, logger="campaign.outbox.delivery")

    report = _deliver_scripted(app, ScriptedSender(closing=OSError("broken pipe")))

    assert report.sent == 1
    assert [m.status for m in _scripted(app)] == ["sent"]
    assert _delivery_log(caplog) == [
        "Outbox test-scripted: closing the sender failed: OSError: broken pipe"
    ]
