"""Delivering one kind of message: claim due messages with a lease, send each, settle each.

At least once, and in practice exactly once per message id: a message is marked sent as soon
as its receiver accepts it, and only while the worker's lease on it holds. Only a worker that
dies between the receiver's acceptance and that update (a window of milliseconds) can cause a
second delivery, after its lease runs out; the message id, the same on every attempt, lets the
receiver drop it.

Each message is settled on its own: whatever one message does (a refusal, a timeout, an
exception nobody expected), the others in its batch are still sent and recorded.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, or_, select, update

from campaign.database import DbSession
from campaign.identity import redact_email
from campaign.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """Delivery may succeed later: connection refused, timeout, a 4xx reply."""


class PermanentFailure(Exception):
    """Delivery will never succeed for this message: e.g. a 5xx reply for its recipient."""


@dataclass(frozen=True)
class Claimed:
    """A message a worker holds a lease on: the common fields, and its whole row for the
    sender of its kind (email columns, a payload …)."""

    id: int
    kind: str
    attempts: int
    message_id: str
    created_at: datetime
    lease_expires_at: datetime
    row: Mapping[str, Any]


class Sender(Protocol):
    """Delivers messages of one kind. `send` returns when the receiver accepted the message
    and raises TemporaryFailure or PermanentFailure when it did not; any other exception
    counts as a permanent failure of that message alone."""

    def open(self) -> None: ...
    def send(self, message: Claimed) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Policy:
    """How one kind is delivered: batch size, lease, backoff cap, when to give up, and how
    long an idle worker waits before looking again."""

    batch_size: int = 50
    lease_seconds: int = 120
    retry_cap_seconds: float = 60
    give_up_after: timedelta = timedelta(hours=72)
    poll_seconds: float = 1.0


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Claimed, but the lease ran out before their turn: left for the next claim, untouched.
    expired: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.expired

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.expired += other.expired
        self.errors.extend(other.errors)


def redact(text: str) -> str:
    """Error text as we store and log it: without any email address it may quote."""
    return redact_email(text)[:500]


def retry_delay(attempts: int, cap_seconds: float) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, never more than the cap."""
    ceiling = min(cap_seconds, 2.0**attempts)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _table() -> Table:
    return cast(Table, OutboxMessage.__table__)


def claim_due(
    session: DbSession, kind: str, now: datetime, limit: int, lease_seconds: int
) -> list[Claimed]:
    """Take a lease on up to `limit` due messages of `kind`, so no other worker sends them
    meanwhile.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers claim different messages at
    once; SQLite runs one write transaction at a time, which gives the same guarantee.
    """
    table = _table()
    c = table.c
    due = and_(
        c.kind == kind,
        or_(
            and_(c.status == OutboxStatus.PENDING, c.next_attempt_at <= now),
            and_(c.status == OutboxStatus.SENDING, c.lease_expires_at <= now),
        ),
    )
    # Picked once, in a materialised CTE: as a plain subquery PostgreSQL may run it again
    # for each row it updates, and with SKIP LOCKED each run skips the rows the previous one
    # locked, so the claim would take more than `limit` messages.
    due_ids = (
        select(c.id)
        .where(due)
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due_ids")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        update(table)
        .where(c.id.in_(select(due_ids.c.id)))
        .where(due)
        .values(
            status=OutboxStatus.SENDING,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=c.attempts + 1,
        )
        .returning(*table.c),
    ).all()
    claimed = [
        Claimed(
            id=row.id,
            kind=row.kind,
            attempts=row.attempts,
            message_id=row.message_id,
            created_at=row.created_at,
            lease_expires_at=row.lease_expires_at,
            row=dict(row._mapping),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda message: message.id)


def _settle(session: DbSession, claimed: Claimed, values: dict[str, object]) -> None:
    # Only while our lease holds: if it ran out and another worker took the message over,
    # the outcome is theirs to record.
    c = _table().c
    session.execute(
        update(_table())
        .where(c.id == claimed.id)
        .where(c.status == OutboxStatus.SENDING)
        .where(c.attempts == claimed.attempts)
        .values(lease_expires_at=None, **values)
    )
    session.commit()


def deliver_due(
    session: DbSession,
    kind: str,
    sender: Sender,
    *,
    now: Callable[[], datetime],
    policy: Policy,
) -> DeliveryReport:
    """Claim one batch of due messages of `kind` and try to deliver each with `sender`;
    commit each outcome as soon as it is known."""
    report = DeliveryReport()
    claimed = claim_due(session, kind, now(), policy.batch_size, policy.lease_seconds)
    session.commit()
    if not claimed:
        return report

    try:
        sender.open()
    except Exception as error:
        # Nothing was sent: every message in the batch waits for its next attempt.
        if not isinstance(error, TemporaryFailure | PermanentFailure):
            log.error("Outbox %s: opening the sender failed: %s", kind, _describe(error))
        for message in claimed:
            _record_temporary(session, message, error, now(), policy, report)
        return report

    try:
        for message in claimed:
            _deliver_one(session, sender, message, now, policy, report)
    finally:
        try:
            sender.close()
        except Exception as error:
            log.warning("Outbox %s: closing the sender failed: %s", kind, _describe(error))
    return report


def _deliver_one(
    session: DbSession,
    sender: Sender,
    message: Claimed,
    now: Callable[[], datetime],
    policy: Policy,
    report: DeliveryReport,
) -> None:
    if now() >= message.lease_expires_at:
        # Another worker may have claimed it since: sending now could send it twice.
        log.info(
            "%s %s: lease ran out before its turn; left for the next claim",
            message.kind,
            message.id,
        )
        report.expired += 1
        return
    try:
        sender.send(message)
    except TemporaryFailure as error:
        _record_temporary(session, message, error, now(), policy, report)
    except PermanentFailure as error:
        _record_failed(session, message, redact(str(error)), report)
    except Exception as error:  # unexpected: this message's failure, and only this one's
        _record_failed(session, message, _describe(error), report)
    else:
        _settle(
            session,
            message,
            {"status": OutboxStatus.SENT, "sent_at": now(), "last_error": None},
        )
        report.sent += 1


def _describe(error: BaseException) -> str:
    """An unexpected exception, for the log and the row: its type and redacted text (no
    traceback: a traceback's frames would show the message's data)."""
    return redact(f"{type(error).__name__}: {error}")


def _record_failed(
    session: DbSession, message: Claimed, detail: str, report: DeliveryReport
) -> None:
    log.warning("%s %s failed for good: %s", message.kind, message.id, detail)
    _settle(session, message, {"status": OutboxStatus.FAILED, "last_error": detail})
    report.failed += 1
    report.errors.append(detail)


def _record_temporary(
    session: DbSession,
    message: Claimed,
    error: Exception,
    now: datetime,
    policy: Policy,
    report: DeliveryReport,
) -> None:
    detail = redact(str(error)) if isinstance(error, TemporaryFailure) else _describe(error)
    if now - message.created_at > policy.give_up_after:
        log.warning(
            "%s %s failed after %s attempts over %s: %s",
            message.kind,
            message.id,
            message.attempts,
            policy.give_up_after,
            detail,
        )
        _settle(session, message, {"status": OutboxStatus.FAILED, "last_error": detail})
        report.failed += 1
        report.errors.append(detail)
        return
    report.errors.append(detail)
    delay = retry_delay(message.attempts, policy.retry_cap_seconds)
    log.info("%s %s will be retried in %.0f s: %s", message.kind, message.id, delay, detail)
    _settle(
        session,
        message,
        {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": now + timedelta(seconds=delay),
            "last_error": detail,
        },
    )
    report.retried += 1
