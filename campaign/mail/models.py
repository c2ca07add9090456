from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    ColumnAction,
    Kind,
    Match,
    PersonalColumn,
    RowAction,
    Subject,
    TableDeclaration,
    declare,
)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class MessageCategory(enum.StrEnum):
    # Caused by the supporter's own action (confirmation, "already signed", deletion receipt):
    # sent whatever their opt-in.
    TRANSACTIONAL = "transactional"
    # News about the campaign: only to supporters who opted in and never unsubscribed
    # (see campaign.privacy.supporter_mail.email_update).
    UPDATE = "update"


class OutboxMessage(Base):
    """An email waiting to be delivered, or the record of one that was.

    Written in the same transaction as the change that causes it, so a signature never
    exists without its email, nor an email without its signature.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("category IN ('transactional', 'update')", name="category_known"),
        # Workers look for due messages: pending ones by next attempt, sending ones by lease.
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # What to render, and with what: the worker renders the bodies when it sends, so the
    # request that queues an email does no template work. (Messages queued before this
    # was so carry their rendered bodies instead.)
    template: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Headers beyond From/To/Subject/Message-ID, e.g. List-Unsubscribe (RFC 8058).
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    category: Mapped[str] = mapped_column(
        String(16), default=MessageCategory.TRANSACTIONAL, server_default="transactional"
    )
    message_id: Mapped[str] = mapped_column(String(200))  # the same on every attempt
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# The outbox's personal data (see campaign/personal_data.py). Declared by column name, so
# this block moves as it is if the model moves.
declare(
    TableDeclaration(
        table="outbox_messages",
        subject=Subject.SUPPORTER,
        personal={
            "recipient": PersonalColumn(Kind.DIRECT, ColumnAction.NULL, "where it goes"),
            "subject": PersonalColumn(Kind.DIRECT, ColumnAction.NULL, "may name the campaign"),
            "context": PersonalColumn(
                Kind.DIRECT, ColumnAction.NULL, "names and the supporter's own links"
            ),
            "body_text": PersonalColumn(Kind.DIRECT, ColumnAction.NULL, "the email as sent"),
            "body_html": PersonalColumn(Kind.DIRECT, ColumnAction.NULL, "the email as sent"),
            "headers": PersonalColumn(
                Kind.LINKING, ColumnAction.NULL, "List-Unsubscribe holds the supporter's link"
            ),
        },
        # An email goes with its signature; the deletion receipt (no signature) goes at the
        # first purge after it is sent, others RETENTION_OUTBOX_DAYS after (privacy purge).
        on_erasure=RowAction.DELETE,
        on_anonymisation=RowAction.DELETE,
        found_by={"signature_id": Match.SIGNATURE_ID, "recipient": Match.EMAIL_IGNORING_CASE},
        not_personal={"message_id": "random, the same on every attempt"},
        report_as="emails",
        report_columns=(
            "id",
            "signature_id",
            "recipient",
            "subject",
            "status",
            "category",
            "created_at",
            "sent_at",
            "body_text",
        ),
    )
)
