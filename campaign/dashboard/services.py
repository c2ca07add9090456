"""The dashboard's figures, aggregated by the database.

Every query here reads an index, never the signature rows themselves, so a dashboard costs
about the same at a million signatures as at a thousand times less (see docs/organisers.md
for the measurements). Counts by day and by hour are one index range count per period
rather than a `GROUP BY` over a date expression: the database then counts index entries
without computing anything per row, several times faster on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, String, column, func, select, values

from campaign.campaigns.models import Campaign
from campaign.database import DbSession, UTCDateTime
from campaign.signing.models import Signature, SignatureStatus, counts_in_public
from campaign.tallies.services import read_tally

# A plot of more periods than this is unreadable anyway; older days are summed into the first.
MAX_DAYS = 3660


@dataclass(frozen=True)
class PeriodCount:
    """Confirmed signatures in one day or hour (`start`, UTC), and the total up to its end."""

    start: datetime
    signature_count: int
    cumulative: int


@dataclass(frozen=True)
class CampaignOverview:
    """One line of the organiser's campaign list."""

    campaign: Campaign
    confirmed: int
    pending: int
    last_24_hours: int

    @property
    def progress_percent(self) -> int:
        return min(100, self.confirmed * 100 // self.campaign.goal) if self.campaign.goal else 0


@dataclass(frozen=True)
class CampaignStats:
    confirmed: int
    pending: int
    opted_in: int
    daily: list[PeriodCount]
    hourly: list[PeriodCount]  # the last 48 hours, oldest first
    countries: list[tuple[str, int]]  # most signatures first
    sources: list[tuple[str | None, int]]  # None: no share code (a direct visit)

    @property
    def confirmation_rate(self) -> float | None:
        """Confirmed signatures as a share of all signatures made (pending ones included)."""
        total = self.confirmed + self.pending
        return self.confirmed / total if total else None

    @property
    def opt_in_rate(self) -> float | None:
        counted = sum(count for _, count in self.sources)
        return self.opted_in / counted if counted else None


def _confirmed(campaign_id: int) -> list[ColumnElement[bool]]:
    return [Signature.campaign_id == campaign_id, counts_in_public()]


def count_pending(session: DbSession, campaign_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Signature)
            .where(Signature.campaign_id == campaign_id)
            .where(Signature.status == SignatureStatus.PENDING)
        )
        or 0
    )


def count_confirmed_since(session: DbSession, campaign_id: int, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Signature)
            .where(*_confirmed(campaign_id))
            .where(Signature.confirmed_at >= since)
        )
        or 0
    )


def count_confirmed_before(session: DbSession, campaign_id: int, before: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Signature)
            .where(*_confirmed(campaign_id))
            .where(Signature.confirmed_at < before)
        )
        or 0
    )


def _counts_between(
    session: DbSession, campaign_id: int, bounds: Sequence[tuple[datetime, datetime]]
) -> list[int]:
    """Confirmed signatures in each [start, end) period, in one statement."""
    if not bounds:
        return []
    periods = (
        values(
            column("n", String),
            column("lo", UTCDateTime()),
            column("hi", UTCDateTime()),
            name="periods",
        )
        .data([(f"{i:05d}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
        .cte("periods")
    )
    count = (
        select(func.count())
        .select_from(Signature)
        .where(*_confirmed(campaign_id))
        .where(Signature.confirmed_at >= periods.c.lo, Signature.confirmed_at < periods.c.hi)
        .correlate(periods)
        .scalar_subquery()
    )
    rows = session.execute(select(periods.c.n, count).order_by(periods.c.n)).all()
    return [int(n) for _, n in rows]


def _with_cumulative(
    starts: Sequence[datetime], counts: Sequence[int], before: int = 0
) -> list[PeriodCount]:
    result, total = [], before
    for start, n in zip(starts, counts, strict=True):
        total += n
        result.append(PeriodCount(start, n, total))
    return result


def daily_counts(session: DbSession, campaign_id: int, now: datetime) -> list[PeriodCount]:
    """Confirmed signatures per UTC day, from the first confirmation to today (gaps as 0)."""
    first = session.scalar(select(func.min(Signature.confirmed_at)).where(*_confirmed(campaign_id)))
    if first is None:
        return []
    today = now.astimezone(UTC).date()
    first_day = first.astimezone(UTC).date()
    earliest_plotted = today - timedelta(days=MAX_DAYS - 1)
    earlier = 0
    if first_day < earliest_plotted:  # a very old campaign: its first years open the total
        first_day = earliest_plotted
        earlier = count_confirmed_before(session, campaign_id, _midnight(first_day))
    starts = [_midnight(first_day + timedelta(days=i)) for i in range((today - first_day).days + 1)]
    bounds = [(start, start + timedelta(days=1)) for start in starts]
    return _with_cumulative(starts, _counts_between(session, campaign_id, bounds), earlier)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def hourly_counts(
    session: DbSession, campaign_id: int, now: datetime, total: int, hours: int = 48
) -> list[PeriodCount]:
    """Confirmed signatures per hour over the last `hours` hours (the current one included).

    `total` is the campaign's confirmed count now (the last cumulative of `daily_counts`), so
    `cumulative` is the running total as in `daily_counts`, without counting every row again.
    """
    this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    starts = [this_hour - timedelta(hours=hours - 1 - i) for i in range(hours)]
    bounds = [(start, start + timedelta(hours=1)) for start in starts]
    counts = _counts_between(session, campaign_id, bounds)
    before = total - count_confirmed_since(session, campaign_id, starts[0])
    return _with_cumulative(starts, counts, before)


def counts_by_source(session: DbSession, campaign_id: int) -> list[tuple[str | None, int, int]]:
    """(source, confirmed, of which opted in), most signatures first.

    Served by the covering index on (campaign_id, status, source, opt_in).
    """
    rows = session.execute(
        select(Signature.source, Signature.opt_in, func.count())
        .where(*_confirmed(campaign_id))
        .group_by(Signature.source, Signature.opt_in)
    ).all()
    totals: dict[str | None, list[int]] = {}
    for source, opt_in, n in rows:
        entry = totals.setdefault(source, [0, 0])
        entry[0] += n
        if opt_in:
            entry[1] += n
    return sorted(
        ((source, n, opted) for source, (n, opted) in totals.items()),
        key=lambda item: (-item[1], item[0] or ""),
    )


def campaign_stats(session: DbSession, campaign: Campaign, now: datetime) -> CampaignStats:
    tally = read_tally(session, campaign.id)
    sources = counts_by_source(session, campaign.id)
    daily = daily_counts(session, campaign.id, now)
    total = daily[-1].cumulative if daily else 0
    return CampaignStats(
        confirmed=tally.signature_count,
        pending=count_pending(session, campaign.id),
        opted_in=sum(opted for _, _, opted in sources),
        daily=daily,
        hourly=hourly_counts(session, campaign.id, now, total),
        countries=tally.by_country,
        sources=[(source, n) for source, n, _ in sources],
    )


def campaign_overview(session: DbSession, campaign: Campaign, now: datetime) -> CampaignOverview:
    return CampaignOverview(
        campaign=campaign,
        confirmed=read_tally(session, campaign.id).signature_count,
        pending=count_pending(session, campaign.id),
        last_24_hours=count_confirmed_since(session, campaign.id, now - timedelta(hours=24)),
    )
