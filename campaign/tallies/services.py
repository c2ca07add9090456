"""Adding to and reading the confirmed counts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from campaign.database import DbSession, dialect_insert
from campaign.tallies.models import TallyShard


@dataclass(frozen=True)
class Tally:
    """A campaign's confirmed count, in all and per country (most signatures first)."""

    signature_count: int
    by_country: list[tuple[str, int]]
    updated_at: datetime | None


def add_to_tally(
    session: DbSession, campaign_id: int, country: str, delta: int, now: datetime, shards: int
) -> None:
    """Add `delta` confirmed signatures to a random shard of the campaign's country count.

    An upsert, so the first confirmation from a country creates its row and no
    confirmation ever reads the count first.
    """
    statement = dialect_insert(session)(TallyShard).values(
        campaign_id=campaign_id,
        country=country,
        shard=random.randrange(max(shards, 1)),  # noqa: S311 (spreading load, not a secret)
        signature_count=delta,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id", "country", "shard"],
        set_={
            "signature_count": TallyShard.signature_count + delta,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)


def read_tally(session: DbSession, campaign_id: int) -> Tally:
    """The campaign's confirmed counts, summed over shards: independent of signature count."""
    rows = session.execute(
        select(
            TallyShard.country,
            func.sum(TallyShard.signature_count),
            func.max(TallyShard.updated_at),
        )
        .where(TallyShard.campaign_id == campaign_id)
        .group_by(TallyShard.country)
    ).all()
    by_country = sorted(
        ((country, int(count)) for country, count, _ in rows if count),
        key=lambda item: (-item[1], item[0]),
    )
    updated = [row[2] for row in rows if row[2] is not None]
    return Tally(
        signature_count=sum(count for _, count in by_country),
        by_country=by_country,
        updated_at=max(updated) if updated else None,
    )


@dataclass(frozen=True)
class TallyDifference:
    campaign_id: int
    country: str
    counted: int  # what the tally said
    actual: int  # confirmed signatures in the table


def find_tally_differences(
    session: DbSession, actual: dict[tuple[int, str], int]
) -> list[TallyDifference]:
    """Compare every campaign's tally with `actual`, the true counts per (campaign id,
    country), country by country. Tallies do not know which signatures count: the caller
    (signing, which does) reads `actual`.

    Both sides must be read in one snapshot (a confirmation changes both in one
    transaction): the caller runs this in a REPEATABLE READ transaction on PostgreSQL;
    SQLite transactions are serializable already.
    """
    counted = {
        (campaign_id, country): int(n or 0)
        for campaign_id, country, n in session.execute(
            select(
                TallyShard.campaign_id, TallyShard.country, func.sum(TallyShard.signature_count)
            ).group_by(TallyShard.campaign_id, TallyShard.country)
        )
    }
    differences = [
        TallyDifference(campaign_id, country, counted.get(key, 0), actual.get(key, 0))
        for key in sorted(actual.keys() | counted.keys())
        for campaign_id, country in [key]
        if counted.get(key, 0) != actual.get(key, 0)
    ]
    return differences


def correct_tally(
    session: DbSession, difference: TallyDifference, now: datetime, shards: int
) -> None:
    """Bring one country's tally to the count read, by adding the difference.

    Adding (rather than overwriting) keeps confirmations made since the read: they added
    their own one, which the read did not see.
    """
    add_to_tally(
        session,
        difference.campaign_id,
        difference.country,
        difference.actual - difference.counted,
        now,
        shards,
    )
