"""Cleaning up after an attack: find signatures, preview, invalidate or release them in
batches, with the counts following at once; and see where signatures come from right now."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select, update

from campaign import signals
from campaign.database import DbSession
from campaign.identity import keyed_hash, normalise_domain, normalise_email
from campaign.signing.models import Signature, SignatureStatus, is_counted
from campaign.tallies.services import add_to_tally


class BulkAction(enum.StrEnum):
    INVALIDATE = "invalidate"
    RELEASE = "release"


@dataclass(frozen=True)
class SignatureFilters:
    """What an organiser is looking for. Empty fields match everything."""

    email: str | None = None
    domain: str | None = None
    address: str | None = None  # a client address as typed, or its keyed hash
    country: str | None = None
    source: str | None = None
    signed_from: datetime | None = None
    signed_until: datetime | None = None
    suspect_only: bool = False

    def is_empty(self) -> bool:
        return not any(
            (
                self.email,
                self.domain,
                self.address,
                self.country,
                self.source,
                self.signed_from,
                self.signed_until,
                self.suspect_only,
            )
        )


@dataclass(frozen=True)
class BatchResult:
    changed: int
    recounted: dict[str, int]  # country -> change applied to the public count


def _conditions(
    campaign_id: int, wanted: SignatureFilters, secret_key: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Signature.campaign_id == campaign_id,
        # Duplicates (one mailbox under another spelling) are out of every count already.
        Signature.status != SignatureStatus.DUPLICATE,
    ]
    if wanted.email:
        conditions.append(Signature.email_normalised == normalise_email(wanted.email))
    if wanted.domain:
        domain = normalise_domain(wanted.domain.strip().lstrip("@"))
        conditions.append(Signature.email_normalised.endswith("@" + domain, autoescape=True))
    if wanted.address:
        typed = wanted.address.strip()
        # A 64-hex string is a hash copied from the suspicious-activity view; anything else
        # is an address, hashed the way signatures were.
        is_hash = len(typed) == 64 and all(c in "0123456789abcdef" for c in typed)
        conditions.append(
            Signature.ip_hash == (typed if is_hash else keyed_hash(secret_key, typed))
        )
    if wanted.country:
        conditions.append(Signature.country == wanted.country.strip().upper())
    if wanted.source:
        conditions.append(Signature.source == wanted.source.strip().lower())
    if wanted.signed_from:
        conditions.append(Signature.signed_at >= wanted.signed_from)
    if wanted.signed_until:
        conditions.append(Signature.signed_at < wanted.signed_until)
    if wanted.suspect_only:
        conditions.append(Signature.suspect.is_(True))
    return conditions


def _candidates(action: BulkAction) -> ColumnElement[bool]:
    if action is BulkAction.INVALIDATE:
        return Signature.status != SignatureStatus.INVALIDATED
    return and_(Signature.suspect.is_(True), Signature.status != SignatureStatus.INVALIDATED)


def preview(
    session: DbSession,
    campaign_id: int,
    wanted: SignatureFilters,
    action: BulkAction,
    secret_key: str,
) -> int:
    """How many signatures the action would change."""
    query: Select[int] = select(func.count()).where(
        *_conditions(campaign_id, wanted, secret_key), _candidates(action)
    )
    return int(session.scalar(query) or 0)


def apply_batch(
    session: DbSession,
    campaign_id: int,
    wanted: SignatureFilters,
    action: BulkAction,
    *,
    secret_key: str,
    now: datetime,
    tally_shards: int,
    batch_size: int = 1000,
) -> BatchResult:
    """Invalidate or release up to `batch_size` matching signatures, and correct the counts.

    The caller commits after each batch and calls again until nothing changes, so a
    clean-up of a million rows never holds one huge transaction.
    """
    rows = session.execute(
        select(Signature.id, Signature.country, Signature.status, Signature.suspect)
        .where(*_conditions(campaign_id, wanted, secret_key), _candidates(action))
        .order_by(Signature.id)
        .limit(batch_size)
        .with_for_update()
    ).all()
    if not rows:
        return BatchResult(0, {})
    ids = [row.id for row in rows]
    recount: Counter[str] = Counter()
    if action is BulkAction.INVALIDATE:
        session.execute(
            update(Signature)
            .where(Signature.id.in_(ids))
            .values(status=SignatureStatus.INVALIDATED),
            execution_options={"synchronize_session": False},
        )
        signals.signature_invalidated.send(campaign_id, session=session, signature_ids=ids, now=now)
        for row in rows:
            if is_counted(row.status, row.suspect):
                recount[row.country] -= 1
    else:
        session.execute(
            update(Signature).where(Signature.id.in_(ids)).values(suspect=False),
            execution_options={"synchronize_session": False},
        )
        for row in rows:
            if is_counted(row.status, suspect=False):  # counted once released
                recount[row.country] += 1
    for country, delta in recount.items():
        if delta:
            add_to_tally(session, campaign_id, country, delta, now, tally_shards)
    return BatchResult(len(ids), dict(recount))


def _email_domain(dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.split_part(Signature.email_normalised, "@", 2)
    return func.substr(Signature.email_normalised, func.instr(Signature.email_normalised, "@") + 1)


@dataclass(frozen=True)
class ActivitySource:
    key: str  # a keyed address hash, or an email domain
    signatures: int
    suspect: int


def busiest_sources(
    session: DbSession,
    campaign_id: int,
    now: datetime,
    window: timedelta = timedelta(hours=1),
    limit: int = 10,
) -> tuple[list[ActivitySource], list[ActivitySource]]:
    """The addresses (as keyed hashes) and email domains with most signatures lately."""
    since = and_(Signature.campaign_id == campaign_id, Signature.signed_at >= now - window)
    suspect = func.sum(case((Signature.suspect.is_(True), 1), else_=0))
    by_address = session.execute(
        select(Signature.ip_hash, func.count(), suspect)
        .where(since, Signature.ip_hash.is_not(None))
        .group_by(Signature.ip_hash)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    domain = _email_domain(session.get_bind().dialect.name)
    by_domain = session.execute(
        select(domain, func.count(), suspect)
        .where(since)
        .group_by(domain)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    return (
        [ActivitySource(str(k), int(n), int(s or 0)) for k, n, s in by_address],
        [ActivitySource(str(k), int(n), int(s or 0)) for k, n, s in by_domain],
    )
