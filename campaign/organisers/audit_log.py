"""Reading the audit log for the admins' page, with each event's campaign."""

from __future__ import annotations

from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign
from campaign.database import DbSession


def recent_events(
    session: DbSession, *, limit: int = 100, before_id: int | None = None
) -> list[tuple[AuditEvent, str | None]]:
    """The newest events first, each with its campaign's slug (None if it was deleted)."""
    query = (
        select(AuditEvent, Campaign.slug)
        .outerjoin(Campaign, Campaign.id == AuditEvent.campaign_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return [(event, slug) for event, slug in session.execute(query).all()]
