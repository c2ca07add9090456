"""A piece of news an organiser writes to a campaign's supporters, and its deliveries."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.outbox.models import OutboxMessage as QueuedMessage
from campaign.personal_data import NoPersonalData, declare

NEWS_KIND = "news"
# The outbox kind that queues a piece of news' recipients, off the organiser's request.
QUEUE_KIND = "news_queue"


class NewsState(enum.StrEnum):
    DRAFT = "draft"  # being written; may be changed and test-sent
    # Send was pressed: recipients are being queued, batch by batch (see `queued_through`).
    QUEUING = "queuing"
    QUEUED = "queued"  # every recipient is in the outbox; the workers deliver at their pace


class NewsMessage(Base):
    """News for one campaign's supporters, written per language (`NewsText`).

    Its state is the guard against sending twice: only the request that moves it from draft
    to queuing (a conditional UPDATE) queues anything.
    """

    __tablename__ = "news_messages"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'queuing', 'queued')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default=NewsState.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When Send was confirmed; "unsubscribed since" counts from here.
    sent_at: Mapped[datetime | None]
    # Recipients queued so far, and the last signature id queued (the next batch starts
    # after it, so queuing can resume where it stopped and never queues anyone twice).
    recipient_count: Mapped[int] = mapped_column(default=0)
    queued_through: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime | None]  # when the last recipient was queued


class NewsText(Base):
    """The subject and body (Markdown) of a piece of news in one language."""

    __tablename__ = "news_texts"
    __table_args__ = (UniqueConstraint("news_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_messages.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown, as the organiser wrote it


class NewsDelivery(QueuedMessage):
    """One supporter's copy of a piece of news: an outbox row of kind 'news' that names the
    signature and the news, nothing else. The email is written when it is sent, from the
    signature as it is then (so an unsubscribe, a deletion or a clean-up after Send still
    stops it) and in the supporter's language."""

    __mapper_args__ = {"polymorphic_identity": NEWS_KIND}  # noqa: RUF012 (SQLAlchemy reads it)

    news_id: Mapped[int | None] = mapped_column(
        ForeignKey("news_messages.id", ondelete="CASCADE"), nullable=True
    )


# The progress page counts a news item's deliveries by state.
Index(
    "ix_outbox_messages_news_id_status",
    QueuedMessage.__table__.c.news_id,
    QueuedMessage.__table__.c.status,
)

declare(
    NoPersonalData(
        table="news_messages",
        why="what organisers write to supporters, and how far sending it has got",
        not_personal={"recipient_count": "how many people it went to, a number"},
    )
)
declare(
    NoPersonalData(
        table="news_texts",
        why="the organisers' text of a piece of news, per language",
        not_personal={"body": "the organisers' message, the same for every supporter"},
    )
)
