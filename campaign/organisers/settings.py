"""The campaign settings organisers may change without a deploy."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from campaign import signals
from campaign.audit.services import record_event
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.organisers.models import Organiser

MAX_GOAL = 1_000_000_000
MAX_PAUSED_MESSAGE = 500


class InvalidSettings(ValueError):
    """Settings that contradict each other; the message says how, for the organiser."""


@dataclass(frozen=True)
class CampaignSettings:
    goal: int
    opens_at: datetime | None
    closes_at: datetime | None
    show_recent_signers: bool
    signing_paused: bool
    paused_message: str | None
    # One origin per line (campaigns/embedding.py), already checked; None for none.
    embed_origins: str | None = None
    # The campaign's own questions, as stored (campaigns/questions.py), already checked.
    questions: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignSettings:
        return cls(**{f.name: getattr(campaign, f.name) for f in fields(cls)})


def _for_log(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def update_campaign_settings(
    session: DbSession,
    campaign: Campaign,
    settings: CampaignSettings,
    *,
    actor: Organiser,
    now: datetime,
) -> dict[str, tuple[Any, Any]]:
    """Apply the settings and log what changed (field: (before, after)) in the audit log."""
    if not 0 < settings.goal <= MAX_GOAL:
        raise InvalidSettings(_l("The goal must be between 1 and 1,000,000,000."))
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        raise InvalidSettings(_l("The petition must close after it opens."))
    message = (settings.paused_message or "").strip() or None
    if message and len(message) > MAX_PAUSED_MESSAGE:
        raise InvalidSettings(_l("The message must be at most 500 characters."))
    wanted = CampaignSettings(
        goal=settings.goal,
        opens_at=settings.opens_at,
        closes_at=settings.closes_at,
        show_recent_signers=settings.show_recent_signers,
        signing_paused=settings.signing_paused,
        paused_message=message,
        embed_origins=settings.embed_origins or None,
        questions=settings.questions or None,
    )
    before = CampaignSettings.of(campaign)
    changes = {
        f.name: (getattr(before, f.name), getattr(wanted, f.name))
        for f in fields(CampaignSettings)
        if getattr(before, f.name) != getattr(wanted, f.name)
    }
    if not changes:
        return changes
    was_open = campaign.is_open(now)
    for name, (_, value) in changes.items():
        setattr(campaign, name, value)
    campaign.updated_at = now
    record_event(
        session,
        actor=actor,
        action="campaign.settings",
        campaign_id=campaign.id,
        details={name: [_for_log(old), _for_log(new)] for name, (old, new) in changes.items()},
        now=now,
    )
    session.flush()
    if was_open and not campaign.is_open(now):
        signals.campaign_closed.send(campaign.id, session=session, now=now)
    return changes
