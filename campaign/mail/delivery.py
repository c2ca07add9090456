"""Sending the 'email' kind of the outbox: the SMTP and file transports, how SMTP replies
are classified, and the sender the outbox workers use for email.

The claim, lease, retries and give-up are the outbox's (campaign.outbox.delivery); a message
is marked sent as soon as the SMTP server accepts it.
"""

from __future__ import annotations

import email.policy
import logging
import re
import smtplib
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from flask_mail import Connection, Message, sanitize_address

from campaign.branding.views import current_identity
from campaign.database import DbSession
from campaign.extensions import mail
from campaign.identity import delivery_address
from campaign.mail.models import EMAIL_KIND
from campaign.mail.outbox import render_email
from campaign.outbox.delivery import (
    Claimed,
    DeliveryReport,
    PermanentFailure,
    Policy,
    TemporaryFailure,
    claim_due,
    deliver_due,
    redact,
    retry_delay,
)
from campaign.outbox.registry import register_sender

log = logging.getLogger(__name__)

__all__ = [
    "ClaimedMessage",
    "DeliveryReport",
    "EmailSender",
    "FileTransport",
    "PermanentFailure",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "claim_due_messages",
    "email_policy",
    "redact",
    "retry_delay",
    "send_due_messages",
    "transport_from_config",
]


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

    @classmethod
    def from_claimed(cls, claimed: Claimed) -> ClaimedMessage:
        row = claimed.row
        return cls(
            id=claimed.id,
            attempts=claimed.attempts,
            recipient=row["recipient"],
            subject=row["subject"],
            message_id=claimed.message_id,
            template=row["template"],
            context=row["context"],
            locale=row["locale"],
            body_text=row["body_text"],
            body_html=row["body_html"],
            headers=row["headers"],
        )

    def rendered(self) -> ClaimedMessage:
        """The message with its bodies, rendered now if they were not stored."""
        if self.body_text is not None or self.template is None:
            return self
        text, html = render_email(self.template, self.context or {}, self.locale)
        return replace(self, body_text=text, body_html=html)


class Transport(Protocol):
    def open(self) -> None: ...
    def send(self, message: ClaimedMessage) -> None: ...
    def close(self) -> None: ...


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


def _send_over(connection: Connection, message: ClaimedMessage) -> None:
    """Hand one message to the SMTP server, to its address in IDNA 2008 form.

    An address whose local part is not ASCII goes with SMTPUTF8 (RFC 6531), headers in
    UTF-8, when the server offers it; to a server without it, no form of the address exists
    that it could take, so that is the message's permanent failure. Every other address
    goes as plain SMTP, its domain in ASCII form (Flask-Mail would use IDNA 2003, which
    sends `straße` to `strasse`, someone else's domain).
    """
    host = connection.host
    assert host is not None
    recipient = delivery_address(message.recipient)
    if recipient is None:
        raise PermanentFailure("no mail server could take this address")
    if _build_message(replace(message, recipient="to@invalid")).has_bad_headers():
        raise PermanentFailure("a header holds a line break")
    if recipient.isascii():
        built = _build_message(replace(message, recipient=recipient))
        built.date = time.time()
        assert built.sender is not None
        host.sendmail(sanitize_address(built.sender), [recipient], built.as_bytes())
        return
    host.ehlo_or_helo_if_needed()
    if not host.has_extn("smtputf8"):
        raise PermanentFailure("the address needs SMTPUTF8, which the mail server does not offer")
    # Flask-Mail writes only ASCII addresses: the To header is put in afterwards, in UTF-8.
    built = _build_message(replace(message, recipient="to@invalid"))
    built.date = time.time()
    assert built.sender is not None
    mime = built._message()
    del mime["To"]
    mime["To"] = recipient
    content = mime.as_bytes(policy=email.policy.SMTPUTF8)
    host.sendmail(sanitize_address(built.sender), [recipient], content, mail_options=["SMTPUTF8"])


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
                _send_over(self._connection, message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _classify_reply(code, reply) from error
        except smtplib.SMTPResponseException as error:
            self._drop_connection()
            raise _classify_reply(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            self._drop_connection()
            raise TemporaryFailure(f"{error!r}") from error
        except Exception:
            # Unexpected (an address smtplib cannot encode …): the conversation may be left
            # half way through a transaction, so the next message starts on a new one.
            self._drop_connection()
            raise

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


class EmailSender:
    """The outbox's sender for the 'email' kind: renders each message and hands it to the
    transport (SMTP, or .eml files)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def open(self) -> None:
        self.transport.open()

    def send(self, message: Claimed) -> None:
        # A template that fails to render fails this message for good, as any unexpected
        # error does (outbox/delivery.py), logged without a traceback of its data.
        self.transport.send(ClaimedMessage.from_claimed(message).rendered())

    def close(self) -> None:
        self.transport.close()


def email_policy(config: Mapping[str, Any]) -> Policy:
    """The MAIL_* settings, as the outbox's policy for email."""
    return Policy(
        batch_size=config["MAIL_BATCH_SIZE"],
        lease_seconds=config["MAIL_LEASE_SECONDS"],
        retry_cap_seconds=config["MAIL_RETRY_MAX_SECONDS"],
        give_up_after=timedelta(hours=config["MAIL_GIVE_UP_HOURS"]),
        poll_seconds=config["MAIL_POLL_SECONDS"],
    )


def email_sender_from_config() -> EmailSender:
    return EmailSender(transport_from_config())


register_sender(EMAIL_KIND, email_sender_from_config, policy=email_policy)


def claim_due_messages(
    session: DbSession, now: datetime, limit: int, lease_seconds: int
) -> list[ClaimedMessage]:
    """Take a lease on up to `limit` due emails (see campaign.outbox.delivery.claim_due)."""
    claimed = claim_due(session, EMAIL_KIND, now, limit, lease_seconds)
    return [ClaimedMessage.from_claimed(message) for message in claimed]


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
    """Claim one batch of due emails and deliver each with `transport`; commit each outcome
    as soon as it is known."""
    policy = Policy(
        batch_size=batch_size,
        lease_seconds=lease_seconds,
        retry_cap_seconds=retry_cap_seconds,
        give_up_after=give_up_after,
    )
    return deliver_due(session, EMAIL_KIND, EmailSender(transport), now=now, policy=policy)
