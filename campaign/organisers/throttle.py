"""Throttling failed logins: slower answers first, then a temporary refusal.

Three counters can apply to one attempt: the account (by email address, whether or not it
exists), the client address, and, for a browser that logged in to this account before, that
browser. A browser its owner has used before is judged by its own counter instead of the
account's, so a flood of wrong passwords from elsewhere never locks staff out of their own
browser. Nothing here is permanent: a counter is forgotten after a quiet period, a refusal
ends by itself. See docs/organisers.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update

from campaign.database import DbSession, dialect_insert
from campaign.identity import keyed_hash
from campaign.organisers.models import LoginThrottle

ACCOUNT = "account"
ADDRESS = "address"
BROWSER = "browser"


@dataclass(frozen=True)
class ThrottlePolicy:
    slowdown_after: int
    slowdown_seconds: float
    slowdown_max_seconds: float
    account_limit: int
    address_limit: int
    block: timedelta

    def limit(self, scope: str) -> int:
        return self.address_limit if scope == ADDRESS else self.account_limit

    def delay(self, failures: int) -> float:
        """Seconds to wait before answering, after `failures` recent failures."""
        if failures < self.slowdown_after:
            return 0.0
        doubling = min(failures - self.slowdown_after, 16)
        return min(self.slowdown_max_seconds, self.slowdown_seconds * 2**doubling)


@dataclass(frozen=True)
class ThrottleKey:
    scope: str
    key_hash: str


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether to try the password at all, and how long to make the answer wait."""

    blocked_until: datetime | None
    delay_seconds: float


def throttle_key(secret_key: str, scope: str, value: str) -> ThrottleKey:
    return ThrottleKey(scope, keyed_hash(secret_key, f"{scope}:{value}"))


def _current(
    session: DbSession, keys: list[ThrottleKey], now: datetime, policy: ThrottlePolicy
) -> list[LoginThrottle]:
    """The counters of these keys that still count (recent failures, or a refusal running)."""
    rows = session.scalars(
        select(LoginThrottle).where(LoginThrottle.key_hash.in_([key.key_hash for key in keys]))
    ).all()
    wanted = {(key.scope, key.key_hash) for key in keys}
    quiet_since = now - policy.block
    return [
        row
        for row in rows
        if (row.scope, row.key_hash) in wanted
        and (row.last_failure_at > quiet_since or (row.blocked_until and row.blocked_until > now))
    ]


def check_throttle(
    session: DbSession, keys: list[ThrottleKey], now: datetime, policy: ThrottlePolicy
) -> ThrottleDecision:
    """What the recent failures for these keys mean for this attempt."""
    blocked_until: datetime | None = None
    failures = 0
    for row in _current(session, keys, now, policy):
        if row.blocked_until is not None and row.blocked_until > now:
            blocked_until = max(blocked_until or row.blocked_until, row.blocked_until)
        failures = max(failures, row.failures)
    return ThrottleDecision(blocked_until, policy.delay(failures))


def record_failure(
    session: DbSession, keys: list[ThrottleKey], now: datetime, policy: ThrottlePolicy
) -> None:
    """Count a failed attempt against each key; a key that reaches its limit is refused
    for `policy.block`. An upsert, so concurrent failures are all counted."""
    insert = dialect_insert(session)
    quiet_since = now - policy.block
    for key in keys:
        statement = insert(LoginThrottle).values(
            scope=key.scope, key_hash=key.key_hash, failures=1, last_failure_at=now
        )
        # After a quiet period (or a refusal that has ended) counting starts again from one.
        fresh = (LoginThrottle.last_failure_at <= quiet_since) | (
            LoginThrottle.blocked_until.is_not(None) & (LoginThrottle.blocked_until <= now)
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["scope", "key_hash"],
                set_={
                    "failures": case((fresh, 1), else_=LoginThrottle.failures + 1),
                    "blocked_until": case((fresh, None), else_=LoginThrottle.blocked_until),
                    "last_failure_at": now,
                },
            )
        )
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.scope == key.scope, LoginThrottle.key_hash == key.key_hash)
            .where(LoginThrottle.failures >= policy.limit(key.scope))
            .where(LoginThrottle.blocked_until.is_(None))
            .values(blocked_until=now + policy.block)
        )


def clear(session: DbSession, keys: list[ThrottleKey]) -> None:
    for key in keys:
        session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.scope == key.scope, LoginThrottle.key_hash == key.key_hash
            )
        )


def forget_old(session: DbSession, now: datetime, policy: ThrottlePolicy) -> int:
    """Delete counters nobody has failed against for a while (they no longer count anyway)."""
    result = session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at < now - 2 * policy.block)
        .where(LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until < now))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
