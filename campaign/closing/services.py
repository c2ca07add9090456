"""Changing milestones, closing a campaign with an outcome, reopening it: each audited.

Services flush, never commit: the view (or a command) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from campaign import signals
from campaign.audit.services import Actor, record_event
from campaign.campaigns.milestones import Milestone, checked_milestones, milestones_to_json
from campaign.campaigns.models import Campaign
from campaign.campaigns.outcomes import MAX_OUTCOME_TEXT, OutcomeKind, clean_texts
from campaign.database import DbSession


class InvalidOutcome(ValueError):
    """An outcome that cannot be recorded; `args[0]` names the problem (for the form)."""


@dataclass(frozen=True)
class OutcomeInput:
    kind: OutcomeKind
    on: date | None
    texts: dict[str, str]  # by language; the campaign's own language is required


def set_milestones(
    session: DbSession,
    campaign: Campaign,
    milestones: list[Milestone],
    *,
    actor: Actor,
    now: datetime,
) -> bool:
    """Replace the campaign's milestones (checked: raises MilestonesError); whether anything
    changed. The audit log keeps the counts before and after."""
    wanted = milestones_to_json(checked_milestones(milestones, campaign.locale))
    if wanted == campaign.milestones:
        return False
    before = [item["count"] for item in campaign.milestones or []]
    campaign.milestones = wanted
    campaign.updated_at = now
    record_event(
        session,
        actor=actor,
        action="campaign.milestones",
        campaign_id=campaign.id,
        details={"before": before, "after": [item["count"] for item in wanted or []]},
        now=now,
    )
    session.flush()
    return True


def _checked(campaign: Campaign, outcome: OutcomeInput) -> dict[str, str]:
    texts = clean_texts(outcome.texts)
    if not texts.get(campaign.locale):
        raise InvalidOutcome("text")
    if any(len(text) > MAX_OUTCOME_TEXT for text in texts.values()):
        raise InvalidOutcome("length")
    if outcome.kind is OutcomeKind.DELIVERED and outcome.on is None:
        raise InvalidOutcome("date")
    if outcome.on is not None and not 2000 <= outcome.on.year <= 2100:
        raise InvalidOutcome("date-range")
    return texts


def close_campaign(
    session: DbSession,
    campaign: Campaign,
    outcome: OutcomeInput,
    *,
    actor: Actor,
    now: datetime,
) -> bool:
    """Record the campaign's outcome, which closes it for good (until reopened): the form
    gives way to the outcome, the count stays. Closing an open campaign also sets its closing
    time to now (when it had none, or a later one), which the retention schedule reads.
    Changing the outcome of a closed campaign is allowed and logged the same way. Whether
    anything changed; raises InvalidOutcome."""
    texts = _checked(campaign, outcome)
    first_time = campaign.outcome is None
    if not first_time and (
        campaign.outcome,
        campaign.outcome_on,
        campaign.outcome_texts,
    ) == (outcome.kind.value, outcome.on, texts):
        return False
    was_open = campaign.is_open(now)
    campaign.outcome = outcome.kind.value
    campaign.outcome_on = outcome.on
    campaign.outcome_texts = texts
    details: dict[str, object] = {
        "outcome": outcome.kind.value,
        "on": outcome.on.isoformat() if outcome.on else None,
        "languages": sorted(texts),
    }
    if first_time:
        campaign.closed_at = now
        if campaign.closes_at is None or campaign.closes_at > now:
            details["closes_at"] = [
                campaign.closes_at.isoformat() if campaign.closes_at else None,
                now.isoformat(),
            ]
            campaign.closes_at = now
    campaign.updated_at = now
    record_event(
        session,
        actor=actor,
        action="campaign.closed" if first_time else "campaign.outcome",
        campaign_id=campaign.id,
        details=details,
        now=now,
    )
    session.flush()
    if was_open:
        signals.campaign_closed.send(campaign.id, session=session, now=now)
    return True


def reopen_campaign(session: DbSession, campaign: Campaign, *, actor: Actor, now: datetime) -> bool:
    """Take the outcome away, so the campaign takes signatures again: for a campaign closed
    by mistake. The closing time that closing set is removed too (organisers may set another
    in the settings). Whether it was closed."""
    if campaign.outcome is None:
        return False
    details: dict[str, object] = {"outcome": campaign.outcome}
    if campaign.closes_at is not None and campaign.closes_at == campaign.closed_at:
        details["closes_at"] = [campaign.closes_at.isoformat(), None]
        campaign.closes_at = None
    campaign.outcome = None
    campaign.outcome_on = None
    campaign.outcome_texts = None
    campaign.closed_at = None
    campaign.updated_at = now
    record_event(
        session,
        actor=actor,
        action="campaign.reopened",
        campaign_id=campaign.id,
        details=details,
        now=now,
    )
    session.flush()
    return True
