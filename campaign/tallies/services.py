"""Adding to and reading the confirmed counts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast

from sqlalchemy import Insert, Select, Table, bindparam, func, select

from campaign.database import DbSession, insert_for
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
    session.execute(
        _upsert(session.get_bind().dialect.name),
        {
            "campaign_id": campaign_id,
            "country": country,
            "shard": random.randrange(max(shards, 1)),  # noqa: S311 (spreading load, not a secret)
            "delta": delta,
            "updated_at": now,
        },
    )


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Insert:
    """The upsert, built once per dialect: building it costs more than running it."""
    table = cast(Table, TallyShard.__table__)
    statement = insert_for(dialect)(table).values(
        campaign_id=bindparam("campaign_id"),
        country=bindparam("country"),
        shard=bindparam("shard"),
        signature_count=bindparam("delta"),
        updated_at=bindparam("updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "country", "shard"],
        set_={
            "signature_count": table.c.signature_count + statement.excluded.signature_count,
            "updated_at": statement.excluded.updated_at,
        },
    )


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


def read_signature_count(session: DbSession, campaign_id: int) -> int:
    """The campaign's confirmed count alone (`read_tally(…).signature_count`), in one
    statement built once: a confirmation shows it to the signer."""
    return int(session.scalar(_count_statement(), {"campaign_id": campaign_id}) or 0)


@lru_cache(maxsize=1)
def _count_statement() -> Select[int]:
    return select(func.coalesce(func.sum(TallyShard.signature_count), 0)).where(
        TallyShard.campaign_id == bindparam("campaign_id")
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
