"""Putting an email in the outbox: the one way email leaves the application."""

from __future__ import annotations

from datetime import datetime
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import insert

from campaign.database import DbSession
from campaign.mail.models import OutboxMessage, OutboxStatus


def _single_line(text: str) -> str:
    """Headers get one line, whatever a template or a campaign title contains."""
    return " ".join(text.split())


def enqueue_email(
    session: DbSession,
    *,
    recipient: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    signature_id: int | None = None,
) -> None:
    """Render `email/<template>.txt` and `.html` and add the message to the outbox.

    The caller's transaction decides whether it is ever sent: the message and the change
    that causes it are committed, or rolled back, together.
    """
    domain = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
    # A Core insert: the ORM's unit of work costs more than the row on the signing path.
    session.execute(
        insert(OutboxMessage),
        {
            "recipient": recipient,
            "subject": _single_line(subject)[:300],
            "body_text": render_template(f"email/{template}.txt", **context),
            "body_html": render_template(f"email/{template}.html", **context),
            "message_id": make_msgid(domain=domain),
            "signature_id": signature_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
