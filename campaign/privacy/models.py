from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    ColumnAction,
    Kind,
    NoPersonalData,
    PersonalColumn,
    declare,
    staff_table,
)


class ErasureCount(Base):
    """How many signatures their supporters deleted, per campaign and day: no personal data.

    Lets organisers reconcile an export made before a deletion with the counts after it.
    """

    __tablename__ = "erasure_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)  # UTC
    confirmed_erased: Mapped[int] = mapped_column(default=0)  # were counted and exported
    pending_erased: Mapped[int] = mapped_column(default=0)  # never counted: pending, invalidated


class AnonymisationPostponement(Base):
    """An admin's decision to keep a closed campaign's signatures longer, and why.

    Rows are never changed or deleted (except with their campaign): the newest one for a
    campaign is in force, the others are the record.
    """

    __tablename__ = "anonymisation_postponements"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    postponed_until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


declare(NoPersonalData(table="erasure_counts", why="counts per campaign and day, not who"))
declare(
    staff_table(
        table="anonymisation_postponements",
        personal={
            "recorded_by": PersonalColumn(Kind.DIRECT, ColumnAction.KEEP, "who decided"),
        },
        not_personal={"reason": "about the campaign, never about a supporter"},
        why_kept="the record of a decision on supporters' data",
    )
)
