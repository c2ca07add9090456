"""What the public sees counted: recent signers, and the true counts the tallies must match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from campaign.database import DbSession
from campaign.signing.models import Signature, counts_in_public


@dataclass(frozen=True)
class RecentSigner:
    """What the public may see of a recent signer: where, and when. Never who."""

    country: str
    confirmed_at: datetime


def recent_signers(session: DbSession, campaign_id: int, limit: int = 5) -> list[RecentSigner]:
    rows = session.execute(
        select(Signature.country, Signature.confirmed_at)
        .where(Signature.campaign_id == campaign_id)
        .where(counts_in_public())
        .order_by(Signature.confirmed_at.desc())
        .limit(limit)
    ).all()
    return [RecentSigner(country, confirmed_at) for country, confirmed_at in rows if confirmed_at]


def public_counts(session: DbSession) -> dict[tuple[int, str], int]:
    """Signatures that count in public, per (campaign id, country): what tallies must say."""
    return {
        (campaign_id, country): int(n)
        for campaign_id, country, n in session.execute(
            select(Signature.campaign_id, Signature.country, func.count())
            .where(counts_in_public())
            .group_by(Signature.campaign_id, Signature.country)
        )
    }
