from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.outbox.models import OutboxMessage as QueuedMessage
from campaign.personal_data import (
    CREATED_BY,
    Match,
    declare,
    staff_table,
)


class WebhookEndpoint(Base):
    """A URL that receives a campaign's events, signed with its own secret.

    The secret must be kept as it is (the receiver checks an HMAC made with it), so it is
    shown to admins only, once when made and once when rotated. After a rotation the
    previous secret signs too, beside the new one, until `previous_secret_until`.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(64))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    previous_secret_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))  # an organiser's address or the CLI
    disabled_at: Mapped[datetime | None]


declare(
    staff_table(
        table="webhook_endpoints",
        personal={"created_by": CREATED_BY},
        found_by={"created_by": Match.EMAIL_IGNORING_CASE},
        why_kept="accountability: who sends supporters' data to another system",
    )
)


class WebhookMessage(QueuedMessage):
    """An event waiting to be POSTed to an endpoint, or the record of one that was: an
    outbox row of kind 'webhook', its data in `payload` (identifiers only: see events.py)."""

    __mapper_args__ = {"polymorphic_identity": "webhook"}  # noqa: RUF012 (SQLAlchemy reads it)
