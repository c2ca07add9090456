"""API keys: made, found, used and revoked. Plain functions over a session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from campaign.api.models import ApiKey
from campaign.audit.services import COMMAND_LINE, Actor, record_event
from campaign.campaigns.models import Campaign
from campaign.database import DbSession

KEY_PREFIX = "cpk_"
# Longer than any key we make: anything past it is not a key, and is not hashed.
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class KeyHolder:
    """What a request's key allows: one campaign (or all), and whether it may write."""

    key_id: int
    campaign_id: int | None
    read_only: bool

    def may_see(self, campaign_id: int) -> bool:
        return self.campaign_id is None or self.campaign_id == campaign_id


def hash_key(key: str) -> str:
    """SHA-256 of a key: keys are 256 random bits, so a plain hash cannot be reversed, and
    it does not change when the secret key is rotated."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: DbSession,
    *,
    name: str,
    campaign: Campaign | None,
    read_only: bool,
    actor: Actor | None,
    now: datetime,
) -> tuple[ApiKey, str]:
    """Make a key, and log it; returns its row and the key itself, which is never stored nor
    shown again. `actor` None means the command line."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name.strip()[:100],
        prefix=key[:12],
        key_hash=hash_key(key),
        campaign_id=campaign.id if campaign is not None else None,
        read_only=read_only,
        created_at=now,
        created_by=actor.email if actor is not None else COMMAND_LINE,
        use_count=0,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="api_key.create",
        campaign_id=row.campaign_id,
        details={"key": row.prefix, "name": row.name, "read_only": row.read_only},
        now=now,
    )
    return row, key


def revoke_key(
    session: DbSession, key_id: int, *, actor: Actor | None, now: datetime
) -> ApiKey | None:
    """Revoke a key at once (the next request with it gets 401), and log it; None if there
    is none. `actor` None means the command line."""
    row = session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    record_event(
        session,
        actor=actor,
        action="api_key.revoke",
        campaign_id=row.campaign_id,
        details={"key": row.prefix, "name": row.name},
        now=now,
    )
    return row


def list_keys(session: DbSession) -> list[tuple[ApiKey, str | None]]:
    """Every key, newest first, with the slug of its campaign (None: every campaign)."""
    rows = session.execute(
        select(ApiKey, Campaign.slug)
        .outerjoin(Campaign, Campaign.id == ApiKey.campaign_id)
        .order_by(ApiKey.id.desc())
    ).all()
    return [(key, slug) for key, slug in rows]


def use_key(engine: Engine, key: str, *, now: datetime) -> KeyHolder | None:
    """The holder of a key that is valid now, counting this use; None for a wrong or
    revoked key.

    The key is looked up by a read; only a right key's use is recorded, in a transaction of
    its own that starts with that UPDATE: a GET's own transaction only reads (on SQLite it
    could not start writing once anyone else wrote), and the count is kept even when the
    request then fails.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    # A wrong key only reads: a flood of made-up keys never queues for SQLite's write lock.
    with engine.connect().execution_options(read_only=True) as connection:
        found = connection.execute(
            select(ApiKey.id, ApiKey.campaign_id, ApiKey.read_only)
            .where(ApiKey.key_hash == hash_key(key))
            .where(ApiKey.revoked_at.is_(None))
        ).first()
    if found is None:
        return None
    with engine.begin() as connection:
        counted = connection.execute(
            update(ApiKey)
            .where(ApiKey.id == found.id)
            .where(ApiKey.revoked_at.is_(None))  # revoked meanwhile: refused now
            .values(last_used_at=now, use_count=ApiKey.use_count + 1)
        ).rowcount
    if not counted:
        return None
    return KeyHolder(key_id=found.id, campaign_id=found.campaign_id, read_only=found.read_only)
