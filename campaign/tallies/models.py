from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    NoPersonalData,
    declare,
)


class TallyShard(Base):
    """One slice of a campaign's confirmed count for one country.

    A confirmation adds one to a shard picked at random, so concurrent confirmations on
    PostgreSQL rarely wait for each other's row lock; a read sums at most
    `shards × countries` small rows, whatever the number of signatures.
    """

    __tablename__ = "tally_shards"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True)
    signature_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


declare(NoPersonalData(table="tally_shards", why="counts per campaign and country"))
