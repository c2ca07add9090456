"""Putting a message of any kind in the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert

from campaign.database import DbSession
from campaign.outbox.models import OutboxMessage, OutboxStatus


def new_message_id() -> str:
    """An id for a message, the same on every attempt to deliver it."""
    return f"msg_{uuid.uuid4().hex}"


def enqueue(
    session: DbSession,
    kind: str,
    *,
    payload: dict[str, Any] | None,
    now: datetime,
    signature_id: int | None = None,
    message_id: str | None = None,
) -> str:
    """Add a message of `kind` to the outbox, with its data in `payload` (plain JSON), in
    the caller's transaction: it is sent only if that transaction commits. Returns its
    message id. (Email has its own columns: use campaign.mail.outbox.enqueue_email.)
    """
    message_id = message_id or new_message_id()
    session.execute(
        insert(cast(Table, OutboxMessage.__table__)),
        {
            "kind": kind,
            "payload": payload,
            "signature_id": signature_id,
            "message_id": message_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    return message_id
