"""The one queue of outbound messages. What is common to every kind lives on this table's
base model; each kind (`mail.models.EmailMessage` for 'email') adds its own columns by
single-table inheritance, or keeps its data in `payload`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """A message waiting to be delivered, or the record of one that was.

    Written in the same transaction as the change that causes it, so a change never exists
    without its message, nor a message without its change.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        # Workers look for due messages of one kind: pending ones by next attempt, sending
        # ones by lease.
        Index("ix_outbox_messages_kind_status_next_attempt", "kind", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which sender delivers it: 'email', 'webhook' … (see campaign.outbox.delivery).
    kind: Mapped[str] = mapped_column(String(32))
    # The signature the message is about, if any: erasing a signature erases its messages.
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="SET NULL"), index=True
    )
    # The same on every attempt, so a receiver can drop a repeat (Message-ID, webhook-id).
    message_id: Mapped[str] = mapped_column(String(200))
    # The data of kinds that keep it as JSON rather than in columns of their own.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __mapper_args__ = {"polymorphic_on": "kind"}  # noqa: RUF012 (SQLAlchemy reads it)
