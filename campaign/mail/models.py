"""The 'email' kind of outbox message: its own columns on the outbox table."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.outbox.models import OutboxMessage as QueuedMessage
from campaign.outbox.models import OutboxStatus
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

EMAIL_KIND = "email"


class MessageCategory(enum.StrEnum):
    # Caused by the supporter's own action (confirmation, "already signed", deletion receipt):
    # sent whatever their opt-in.
    TRANSACTIONAL = "transactional"
    # News about the campaign: only to supporters who opted in and never unsubscribed
    # (see campaign.privacy.news.email_news). The stored value stays "update": queued rows
    # and the check constraint use it.
    UPDATE = "update"


class EmailMessage(QueuedMessage):
    """An email waiting to be delivered, or the record of one that was.

    Its columns are on the outbox table (single-table inheritance): they are empty for the
    other kinds, and required for email by a check constraint. Querying this class sees
    emails only.
    """

    __mapper_args__ = {"polymorphic_identity": EMAIL_KIND}  # noqa: RUF012 (SQLAlchemy reads it)

    recipient: Mapped[str] = mapped_column(String(254), nullable=True)
    subject: Mapped[str] = mapped_column(String(300), nullable=True)
    # What to render, and with what: the worker renders the bodies when it sends, so the
    # request that queues an email does no template work. (Messages queued before this
    # was so carry their rendered bodies instead.)
    template: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(8), nullable=True, default="en")
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Headers beyond From/To/Subject/Message-ID, e.g. List-Unsubscribe (RFC 8058).
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    category: Mapped[str] = mapped_column(
        String(16), nullable=True, default=MessageCategory.TRANSACTIONAL
    )


_table = QueuedMessage.__table__
_table.append_constraint(  # type: ignore[attr-defined]
    CheckConstraint("category IN ('transactional', 'update')", name="category_known")
)
_table.append_constraint(  # type: ignore[attr-defined]
    CheckConstraint(
        "kind <> 'email' OR (recipient IS NOT NULL AND subject IS NOT NULL"
        " AND locale IS NOT NULL AND category IS NOT NULL)",
        name="email_complete",
    )
)

# Written before the outbox had other kinds: `OutboxMessage` from here means an email.
OutboxMessage = EmailMessage

__all__ = ["EMAIL_KIND", "EmailMessage", "MessageCategory", "OutboxMessage", "OutboxStatus"]


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
