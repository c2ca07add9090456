"""Putting an email in the outbox: the one way email leaves the application."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import make_msgid
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import Table, insert

from campaign.database import DbSession
from campaign.mail.models import OutboxMessage, OutboxStatus

_NO_BREAK_SPACES = ("\u00a0", "\u202f")  # French typography: "signature : titre"


def _single_line(text: str) -> str:
    """Headers get one line, whatever a template or a campaign title contains."""
    return re.sub(
        r"\s+", lambda space: space[0] if space[0] in _NO_BREAK_SPACES else " ", text
    ).strip()


def enqueue_email(
    session: DbSession,
    *,
    recipient: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    locale: str,
    signature_id: int | None = None,
) -> None:
    """Add a message to the outbox, to be rendered from `email/<template>.txt` and `.html`
    with `context` (plain JSON data) in `locale` when a worker sends it.

    The caller's transaction decides whether it is ever sent: the message and the change
    that causes it are committed, or rolled back, together.
    """
    domain = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
    # A Core insert on the table: the ORM costs more than the row on the signing path.
    session.execute(
        insert(cast(Table, OutboxMessage.__table__)),
        {
            "recipient": recipient,
            "subject": _single_line(subject)[:300],
            "template": template,
            "context": context,
            "locale": locale,
            "message_id": make_msgid(domain=domain),
            "signature_id": signature_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def render_email(template: str, context: dict[str, Any], locale: str) -> tuple[str, str]:
    """The plain-text and HTML bodies of an outbox message, in the signer's language."""
    with force_locale(locale):
        return (
            render_template(f"email/{template}.txt", **context),
            render_template(f"email/{template}.html", **context),
        )
