"""Putting an email in the outbox (kind 'email'): the one way email leaves the application."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import make_msgid
from functools import lru_cache
from typing import Any, TypedDict, Unpack, cast
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import Insert, Table, insert

from campaign.database import DbSession
from campaign.mail.models import EMAIL_KIND, EmailMessage, MessageCategory, OutboxStatus

_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,75}")
# Set by the outbox and Flask-Mail themselves: a caller may not replace them.
_RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "message-id", "date", "sender"}

_NO_BREAK_SPACES = ("\u00a0", "\u202f")  # French typography: "signature : titre"


def _single_line(text: str) -> str:
    """Headers get one line, whatever a template or a campaign title contains."""
    return re.sub(
        r"\s+", lambda space: space[0] if space[0] in _NO_BREAK_SPACES else " ", text
    ).strip()


def _checked_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Extra headers as given, if each is a plain name with a one-line ASCII value; else an
    error. A value with a line break (or any control character) would let text become new
    headers: header injection. (Non-ASCII would need encoding that these headers, URLs,
    never need.)
    """
    if not headers:
        return None
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"not an extra header we may set: {name!r}")
        # ASCII and printable: no control character (line breaks, NUL, DEL …) at all.
        if not (value.isascii() and value.isprintable()) or len(value) > 2000:
            raise ValueError(f"the value of header {name} must be one short line of ASCII")
    return dict(headers)


class Email(TypedDict):
    """An email to queue: rendered from `email/<template>.txt` and `.html` with `context`
    (plain JSON data) in `locale` when a worker sends it."""

    recipient: str
    subject: str
    template: str
    context: dict[str, Any]
    locale: str


def enqueue_email(
    session: DbSession,
    *,
    now: datetime,
    signature_id: int | None = None,
    headers: dict[str, str] | None = None,
    category: MessageCategory = MessageCategory.TRANSACTIONAL,
    **email: Unpack[Email],
) -> None:
    """Add a message to the outbox (see Email). `headers` go out with it as they are (e.g.
    List-Unsubscribe); `category` says whether it is news.

    The caller's transaction decides whether it is ever sent: the message and the change
    that causes it are committed, or rolled back, together.
    """
    row = email_row(now=now, headers=headers, category=category, **email)
    enqueue_email_row(session, row, signature_id=signature_id)


def email_row(
    *,
    now: datetime,
    headers: dict[str, str] | None = None,
    category: MessageCategory = MessageCategory.TRANSACTIONAL,
    **email: Unpack[Email],
) -> dict[str, Any]:
    """The outbox row of an email, made ready before the transaction that writes it (on
    SQLite a write transaction holds the one write lock: the less done inside it, the
    sooner the next signer gets it). `enqueue_email_row` writes it."""
    domain = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
    return {
        "kind": EMAIL_KIND,
        "recipient": email["recipient"],
        "subject": _single_line(email["subject"])[:300],
        "template": email["template"],
        "context": email["context"],
        "locale": email["locale"],
        "message_id": make_msgid(domain=domain),
        "signature_id": None,
        "headers": _checked_headers(headers),
        "category": category,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_email_row(
    session: DbSession, row: dict[str, Any], *, signature_id: int | None = None
) -> None:
    """Write an `email_row` in the caller's transaction, for `signature_id` if given."""
    # A Core insert on the table, built once: the ORM costs more than the row on the
    # signing path.
    session.execute(_insert_email(), {**row, "signature_id": signature_id})


@lru_cache(maxsize=1)
def _insert_email() -> Insert:
    return insert(cast(Table, EmailMessage.__table__))


def render_email(template: str, context: dict[str, Any], locale: str) -> tuple[str, str]:
    """The plain-text and HTML bodies of an outbox message, in the signer's language."""
    with force_locale(locale):
        return (
            render_template(f"email/{template}.txt", **context),
            render_template(f"email/{template}.html", **context),
        )
