from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    NoPersonalData,
    declare,
)

# What a slug may be (content folders are named by it, and every URL of a campaign holds
# it): lowercase letters, digits and hyphens, at most 64. A URL whose slug does not match
# gets a 404 before any query (campaign/protection/requests.py).
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class CampaignStatus:
    """A campaign made in the browser starts as a draft: only its organisers see it (in a
    preview), and every public path answers 404 until it is published."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Campaign(Base):
    """A petition: its text, who it is addressed to, its goal and when it takes signatures.

    The confirmed counts live in `TallyShard` rows (see docs/tallies.md), not here, so that
    confirming a signature never has to lock this row.
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("goal > 0", name="goal_positive"),
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # The language of the text below, the campaign's own; other languages are translations.
    locale: Mapped[str] = mapped_column(String(8), default="en")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # Markdown, as written in the content file
    target: Mapped[str] = mapped_column(String(300))
    goal: Mapped[int]
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    featured: Mapped[bool] = mapped_column(default=False)
    show_recent_signers: Mapped[bool] = mapped_column(default=True)
    # An organiser's emergency brake (or the day of delivery): the form gives way to
    # `paused_message` and no signature is taken, whatever the open and close times.
    signing_paused: Mapped[bool] = mapped_column(default=False)
    paused_message: Mapped[str | None] = mapped_column(Text)
    # The campaign's own questions beside the form (see campaigns/questions.py), as checked
    # JSON; NULL for none.
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    # The sites that may frame the embeddable form, one origin per line (see
    # campaigns/embedding.py); NULL: no site may.
    embed_origins: Mapped[str | None] = mapped_column(Text)
    # Campaigns from content files are published at once; those made in the browser start as
    # drafts (campaigns/models.py, CampaignStatus).
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.PUBLISHED)
    published_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # Set when an organiser first changes the campaign's text in the browser: from then on
    # the database owns it and `flask campaigns seed` leaves it alone (and says so).
    edited_in_browser_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_published(self) -> bool:
        return self.status == CampaignStatus.PUBLISHED

    @property
    def owned_by_database(self) -> bool:
        return self.edited_in_browser_at is not None

    def is_open(self, now: datetime) -> bool:
        if self.signing_paused:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at


class CampaignTranslation(Base):
    """A campaign's text in another language than its own (`Campaign.locale`).

    Loaded from the campaign's content files by `flask campaigns seed`, or written by
    organisers in the browser, where a field may stay empty while the translation is under
    way. A language whose translation is incomplete (`is_complete`), or that has none, shows
    the campaign's own text, marked with its language for screen readers.
    """

    __tablename__ = "campaign_translations"
    __table_args__ = (UniqueConstraint("campaign_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # Markdown, as written in the content file
    target: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_complete(self) -> bool:
        """Every required field is filled: only then is this language served to the public."""
        return all(getattr(self, name).strip() for name in REQUIRED_TEXT)


# The fields a language needs before supporters are shown it (the text under the title is
# what the petition asks, so it is required too).
REQUIRED_TEXT = ("title", "summary", "target", "body")


declare(
    NoPersonalData(
        table="campaigns",
        why="the petition's own text and settings",
        not_personal={
            "body": "the petition's text",
            "paused_message": "the organisers' notice to the public",
        },
    )
)
declare(
    NoPersonalData(
        table="campaign_translations",
        why="the petition's text in other languages",
        not_personal={"body": "the petition's text"},
    )
)
