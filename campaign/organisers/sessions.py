"""Organiser sessions kept in the database, so that they can be listed and ended.

The browser's signed session cookie carries a random key; the table keeps its hash, the
account's session generation when it began, a short browser label and approximate times.
A session counts only while its row is open and its generation is the account's current
one: a logout, a new password, a deactivation or a reactivation bumps the generation and so
ends every session at once, including a copy of the cookie taken before.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from campaign.database import DbSession
from campaign.organisers.account_models import OrganiserSession
from campaign.organisers.models import Organiser

# The page shows "active about N minutes ago": a write per request would cost more than
# that precision is worth.
TOUCH_EVERY = timedelta(minutes=5)

_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
)


def browser_label(user_agent: str) -> str:
    """ "Firefox on Linux": enough for the owner to recognise a session, nothing more (the
    whole User-Agent string helps fingerprint a person, and we do not need it)."""
    agent = user_agent[:1000]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def hash_session_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: DbSession, organiser: Organiser, browser: str, now: datetime) -> str:
    """Record a new logged-in browser; returns the key its cookie must carry."""
    key = secrets.token_urlsafe(32)
    session.add(
        OrganiserSession(
            organiser_id=organiser.id,
            key_hash=hash_session_key(key),
            generation=organiser.session_generation,
            created_at=now,
            last_seen_at=now,
            browser=browser[:80],
        )
    )
    session.flush()
    return key


def find_open_session(
    session: DbSession, organiser: Organiser, key: str, *, now: datetime, lifetime: timedelta
) -> OrganiserSession | None:
    """The open session of this account with this key, if it still counts."""
    if not key or len(key) > 100:
        return None
    row = session.scalar(
        select(OrganiserSession).where(
            OrganiserSession.key_hash == hash_session_key(key),
            OrganiserSession.organiser_id == organiser.id,
        )
    )
    if row is None or row.ended_at is not None:
        return None
    if row.generation != organiser.session_generation or row.created_at <= now - lifetime:
        return None
    return row


def touch_session(engine: Engine, key: str, now: datetime) -> None:
    """Note that the session was used, in a transaction of its own (started before the
    request reads anything, so that on SQLite the request's own transaction can still
    write later)."""
    with engine.begin() as connection:
        connection.execute(
            update(OrganiserSession)
            .where(OrganiserSession.key_hash == hash_session_key(key))
            .values(last_seen_at=now)
        )


def open_sessions(
    session: DbSession, organiser: Organiser, *, now: datetime, lifetime: timedelta
) -> list[OrganiserSession]:
    """The account's sessions that still count, most recently used first."""
    return list(
        session.scalars(
            select(OrganiserSession)
            .where(OrganiserSession.organiser_id == organiser.id)
            .where(OrganiserSession.ended_at.is_(None))
            .where(OrganiserSession.generation == organiser.session_generation)
            .where(OrganiserSession.created_at > now - lifetime)
            .order_by(OrganiserSession.last_seen_at.desc(), OrganiserSession.id.desc())
        ).all()
    )


def end_session(session: DbSession, organiser: Organiser, session_id: int, now: datetime) -> bool:
    """End one of the account's sessions: that browser is logged out at its next request."""
    result = session.execute(
        update(OrganiserSession)
        .where(OrganiserSession.id == session_id)
        .where(OrganiserSession.organiser_id == organiser.id)
        .where(OrganiserSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_every_session(session: DbSession, organiser: Organiser, now: datetime) -> None:
    """A new session generation: every session of the account ends, copies of its cookie
    included (logout, a new password, a deactivation or a reactivation)."""
    organiser.session_generation += 1
    session.execute(
        update(OrganiserSession)
        .where(OrganiserSession.organiser_id == organiser.id)
        .where(OrganiserSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.flush()


def forget_old_sessions(session: DbSession, *, now: datetime, keep: timedelta) -> int:
    """Delete sessions that ended (or ran out) more than `keep` ago."""
    result = session.execute(
        delete(OrganiserSession).where(
            (OrganiserSession.ended_at < now - keep) | (OrganiserSession.last_seen_at < now - keep)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
