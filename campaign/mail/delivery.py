"""Delivering the outbox: claim due messages with a lease, send them, record the outcome.

At least once, and in practice exactly once: a message is marked sent as soon as the SMTP
server accepts it. Only a worker that dies between the server's "250 OK" and that update
(a window of milliseconds) can cause a second delivery, after its lease runs out.
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import and_, or_, select, update

from campaign.branding.views import current_identity
from campaign.database import DbSession
from campaign.extensions import mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.mail.outbox import render_email

log = logging.getLogger(__name__)

_EMAIL_LIKE = re.compile(r"[^\s<>@]+@[^\s<>@]+")


class TemporaryFailure(Exception):
    """Delivery may succeed later: connection refused, timeout, a 4xx reply."""


class PermanentFailure(Exception):
    """Delivery will never succeed for this message: a 5xx reply for its recipient."""


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    attempts: int
    recipient: str
    subject: str
    message_id: str
    template: str | None
    context: dict[str, Any] | None
    locale: str
    body_text: str | None
    body_html: str | None
    headers: dict[str, str] | None = None

    def rendered(self) -> ClaimedMessage:
        """The message with its bodies, rendered now if they were not stored."""
        if self.body_text is not None or self.template is None:
            return self
        text, html = render_email(self.template, self.context or {}, self.locale)
        return replace(self, body_text=text, body_html=html)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


class Transport(Protocol):
    def open(self) -> None: ...
    def send(self, message: ClaimedMessage) -> None: ...
    def close(self) -> None: ...


def redact(text: str) -> str:
    """Error text as we store and log it: without any email address it may quote."""
    return _EMAIL_LIKE.sub("<address>", text)[:500]


def _sender() -> str | tuple[str, str]:
    """MAIL_DEFAULT_SENDER's address, under the organisation's name once it is set: the
    name a supporter sees in their inbox is the one on the page they signed."""
    configured: str = current_app.config["MAIL_DEFAULT_SENDER"]
    name = current_identity().name
    if not name:
        return configured
    return (name, parseaddr(configured)[1] or configured)


def _build_message(message: ClaimedMessage) -> Message:
    built = Message(
        subject=message.subject,
        sender=_sender(),
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        extra_headers=dict(message.headers) if message.headers else None,
    )
    built.msgId = message.message_id
    return built


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    # Flask-Mail opens smtplib connections without a timeout; the default applies instead.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


class SmtpTransport:
    """Delivery through the configured SMTP server, by Flask-Mail, on one connection a batch."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._connection: Connection | None = None

    def open(self) -> None:
        try:
            with _socket_timeout(self.timeout):
                connection = mail.connect()
                connection.__enter__()
        except smtplib.SMTPResponseException as error:
            raise _classify_reply(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"cannot connect: {error!r}") from error
        if connection.host is None:  # MAIL_SUPPRESS_SEND: refuse to pretend we delivered
            raise TemporaryFailure("Flask-Mail is set to suppress sending")
        self._connection = connection

    def send(self, message: ClaimedMessage) -> None:
        if self._connection is None:
            self.open()
        assert self._connection is not None
        try:
            with _socket_timeout(self.timeout):
                self._connection.send(_build_message(message))
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _classify_reply(code, reply) from error
        except smtplib.SMTPResponseException as error:
            self._drop_connection()
            raise _classify_reply(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            self._drop_connection()
            raise TemporaryFailure(f"{error!r}") from error

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.host is not None:
            with suppress(OSError):
                connection.host.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.host is not None:
            with suppress(OSError, smtplib.SMTPException):
                connection.host.quit()


class FileTransport:
    """Writes each message as an .eml file, for a machine with no SMTP server (`make run`)."""

    def __init__(self, directory: Path, public_url: str) -> None:
        self.directory = directory
        self.public_url = public_url

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: ClaimedMessage) -> None:
        path = self.directory / f"{message.id:08d}.eml"
        path.write_bytes(_build_message(message).as_bytes())
        # Development only: there is no real mailbox, so show where to click to confirm. (The
        # unsubscribe and delete links are in the file: they are not logged.)
        links = re.findall(re.escape(self.public_url) + r"/confirm/\S+", message.body_text or "")
        log.info("Email %s written to %s; its links: %s", message.id, path, " ".join(links))

    def close(self) -> None:
        pass


def _classify_reply(code: int, reply: bytes | str) -> Exception:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    detail = f"{code} {text}"
    return PermanentFailure(detail) if 500 <= code < 600 else TemporaryFailure(detail)


def transport_from_config() -> Transport:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SmtpTransport(timeout=config["MAIL_TIMEOUT"])
    return FileTransport(Path(config["INSTANCE_PATH"]) / "mail", config["PUBLIC_URL"])


def claim_due_messages(
    session: DbSession, now: datetime, limit: int, lease_seconds: int
) -> list[ClaimedMessage]:
    """Take a lease on up to `limit` due messages, so no other worker sends them meanwhile.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers claim different messages at
    once; SQLite runs one write transaction at a time, which gives the same guarantee.
    """
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_expires_at <= now),
    )
    due_ids = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due_ids.scalar_subquery()))
        .where(due)
        .values(
            status=OutboxStatus.SENDING,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.attempts,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.message_id,
            OutboxMessage.template,
            OutboxMessage.context,
            OutboxMessage.locale,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.headers,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted((ClaimedMessage(**row._asdict()) for row in rows), key=lambda m: m.id)


def retry_delay(attempts: int, cap_seconds: float) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, never more than the cap."""
    ceiling = min(cap_seconds, 2.0**attempts)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _settle(session: DbSession, claimed: ClaimedMessage, values: dict[str, object]) -> None:
    # Only while our lease holds: if it ran out and another worker took the message over,
    # the outcome is theirs to record.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .where(OutboxMessage.attempts == claimed.attempts)
        .values(lease_expires_at=None, **values),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def send_due_messages(
    session: DbSession,
    transport: Transport,
    *,
    now: Callable[[], datetime],
    batch_size: int,
    lease_seconds: int,
    retry_cap_seconds: float,
    give_up_after: timedelta,
) -> DeliveryReport:
    """Claim one batch of due messages and try to deliver each; commit every outcome at once."""
    report = DeliveryReport()
    claimed = claim_due_messages(session, now(), batch_size, lease_seconds)
    session.commit()
    if not claimed:
        return report

    try:
        transport.open()
    except (TemporaryFailure, PermanentFailure) as error:
        # Nothing was sent: every message in the batch waits for its next attempt.
        for message in claimed:
            _record_temporary(
                session, message, error, now(), retry_cap_seconds, give_up_after, report
            )
        return report

    try:
        for message in claimed:
            try:
                ready = message.rendered()
            except Exception as error:  # a bug in a template: retrying will not mend it
                log.exception("Email %s could not be rendered", message.id)
                detail = redact(f"rendering failed: {type(error).__name__}")
                _settle(session, message, {"status": OutboxStatus.FAILED, "last_error": detail})
                report.failed += 1
                continue
            try:
                transport.send(ready)
            except PermanentFailure as error:
                log.warning("Email %s failed for good: %s", message.id, redact(str(error)))
                _settle(
                    session,
                    message,
                    {"status": OutboxStatus.FAILED, "last_error": redact(str(error))},
                )
                report.failed += 1
                report.errors.append(redact(str(error)))
            except TemporaryFailure as error:
                _record_temporary(
                    session, message, error, now(), retry_cap_seconds, give_up_after, report
                )
            else:
                _settle(
                    session,
                    message,
                    {"status": OutboxStatus.SENT, "sent_at": now(), "last_error": None},
                )
                report.sent += 1
    finally:
        transport.close()
    return report


def _record_temporary(
    session: DbSession,
    message: ClaimedMessage,
    error: Exception,
    now: datetime,
    retry_cap_seconds: float,
    give_up_after: timedelta,
    report: DeliveryReport,
) -> None:
    detail = redact(str(error))
    report.errors.append(detail)
    created_at = session.scalar(
        select(OutboxMessage.created_at).where(OutboxMessage.id == message.id)
    )
    if created_at is not None and now - created_at > give_up_after:
        log.warning(
            "Email %s failed after %s attempts over %s: %s",
            message.id,
            message.attempts,
            give_up_after,
            detail,
        )
        _settle(session, message, {"status": OutboxStatus.FAILED, "last_error": detail})
        report.failed += 1
        return
    delay = retry_delay(message.attempts, retry_cap_seconds)
    log.info("Email %s will be retried in %.0f s: %s", message.id, delay, detail)
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
