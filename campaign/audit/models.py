from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    ColumnAction,
    Kind,
    Match,
    PersonalColumn,
    declare,
    staff_table,
)


class AuditEvent(Base):
    """One action on supporters' data or a campaign's settings, kept for accountability.

    `details` holds what the action was given (an export's filters, the settings changed);
    never a supporter's personal data.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL"), index=True
    )
    # Who, as shown in the log: the organiser's address then, or "command line".
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))  # e.g. export.signatures
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Rows an export sent, known once it has finished; `completed` is false if the download
    # stopped part-way (the rows sent so far are still counted).
    row_count: Mapped[int | None]
    completed: Mapped[bool] = mapped_column(default=False)


# Staff data (see campaign/personal_data.py): the record of who did what is kept.
declare(
    staff_table(
        table="audit_events",
        personal={
            "actor": PersonalColumn(Kind.DIRECT, ColumnAction.KEEP, "the organiser's address"),
            "organiser_id": PersonalColumn(Kind.LINKING, ColumnAction.KEEP, "who acted"),
            "created_at": PersonalColumn(Kind.LINKABLE, ColumnAction.KEEP, "when they acted"),
        },
        found_by={"actor": Match.EMAIL_IGNORING_CASE},
        not_personal={"details": "filters and settings given, never a supporter's data"},
        why_kept="accountability for access to supporters' data",
    )
)
