"""When each milestone (and the goal) was passed, worked out from the confirmation times.

Not recorded while confirming: that would cost every confirmation a read of the count (the
tally is sharded so that confirming never reads it), two confirmations on two shards could
each miss the moment, and a milestone added after it was passed would have no time. Worked
out here instead, for the dashboard only: the day comes from the per-day running totals the
dashboard already has, then one query within that day finds the signature that made the
count: the N-th counted signature, in confirmation order. So the time is exact, costs one
bounded query per passed milestone, and follows the count: signatures removed since (a
clean-up, a deletion) move it to when the count, as it now stands, reached N. Anonymised
signatures keep only the day of their confirmation, so an old milestone's time may show the
day's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from campaign.campaigns.milestones import Milestone
from campaign.dashboard.services import PeriodCount
from campaign.database import DbSession
from campaign.signing.models import Signature, counts_in_public


@dataclass(frozen=True)
class MilestoneProgress:
    count: int
    milestone: Milestone | None  # None: the campaign's goal, which is no milestone
    is_goal: bool
    passed_at: datetime | None  # None: not passed (yet)


def _nth_confirmation(
    session: DbSession, campaign_id: int, start: datetime | None, offset: int
) -> datetime | None:
    query = select(Signature.confirmed_at).where(
        Signature.campaign_id == campaign_id, counts_in_public()
    )
    if start is not None:
        query = query.where(
            Signature.confirmed_at >= start, Signature.confirmed_at < start + timedelta(days=1)
        )
    return session.scalar(
        query.order_by(Signature.confirmed_at, Signature.id).offset(offset).limit(1)
    )


def passed_at(
    session: DbSession, campaign_id: int, daily: Sequence[PeriodCount], count: int
) -> datetime | None:
    """When the campaign's counted signatures reached `count`: the confirmation time of the
    `count`-th of them. `daily` is `daily_counts` (per day, with running totals)."""
    if not daily or daily[-1].cumulative < count:
        return None
    before = daily[0].cumulative - daily[0].signature_count
    if count <= before:  # before the first plotted day (a campaign older than ten years)
        return _nth_confirmation(session, campaign_id, None, count - 1)
    for day in daily:
        if day.cumulative >= count:
            start_total = day.cumulative - day.signature_count
            return _nth_confirmation(session, campaign_id, day.start, count - start_total - 1)
    return None


def milestone_progress(
    session: DbSession,
    campaign_id: int,
    goal: int,
    milestones: Sequence[Milestone],
    daily: Sequence[PeriodCount],
) -> list[MilestoneProgress]:
    """The goal and every milestone, lowest first, each with when it was passed."""
    by_count: dict[int, Milestone | None] = {goal: None}
    by_count.update({milestone.count: milestone for milestone in milestones})
    return [
        MilestoneProgress(
            count=n,
            milestone=milestone,
            is_goal=n == goal,
            passed_at=passed_at(session, campaign_id, daily, n),
        )
        for n, milestone in sorted(by_count.items())
    ]
