"""Organiser accounts, who may see which campaign, and logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select

from campaign.campaigns.models import Campaign
from campaign.database import DbSession, dialect_insert
from campaign.organisers import throttle
from campaign.organisers.models import CampaignMembership, Organiser
from campaign.organisers.passwords import (
    MAX_LENGTH,
    check_new_password,
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from campaign.organisers.sessions import end_every_session
from campaign.organisers.throttle import ThrottleKey, ThrottlePolicy


class OrganiserError(Exception):
    """An account operation that cannot be done; the message says why, for the operator."""


def normalise_organiser_email(email: str) -> str:
    return email.strip().lower()


def find_organiser(session: DbSession, email: str) -> Organiser | None:
    address = normalise_organiser_email(email)
    if not address or len(address) > 254:
        return None
    return session.scalar(select(Organiser).where(Organiser.email == address))


def get_organiser(session: DbSession, email: str) -> Organiser:
    organiser = find_organiser(session, email)
    if organiser is None:
        raise OrganiserError(f"No organiser has the address {normalise_organiser_email(email)}.")
    return organiser


def create_organiser(
    session: DbSession, email: str, password: str, *, admin: bool, now: datetime
) -> Organiser:
    """A new, active account; raises OrganiserError or PasswordRejected."""
    address = normalise_organiser_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise OrganiserError(f"{address!r} is not a valid email address.") from error
    if find_organiser(session, address) is not None:
        raise OrganiserError(f"An organiser with the address {address} already exists.")
    check_new_password(password, address)
    organiser = Organiser(
        email=address,
        password_hash=hash_password(password),
        is_admin=admin,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(organiser)
    session.flush()
    return organiser


def set_password(session: DbSession, organiser: Organiser, password: str, now: datetime) -> None:
    """A new password; every session of the account ends (see Organiser.get_id). Raises
    PasswordRejected before changing anything."""
    check_new_password(password, organiser.email)
    organiser.password_hash = hash_password(password)
    organiser.password_changed_at = now
    end_every_session(session, organiser, now)


def set_active(session: DbSession, organiser: Organiser, active: bool) -> None:
    """Deactivating ends the account's sessions at their next request and refuses logins;
    reactivating does not bring old sessions back (both start a new session generation)."""
    organiser.active = active
    organiser.session_generation += 1
    session.flush()


def grant(session: DbSession, organiser: Organiser, campaign: Campaign, now: datetime) -> bool:
    """Let the organiser see the campaign; False if they already could."""
    added = session.execute(
        dialect_insert(session)(CampaignMembership)
        .values(organiser_id=organiser.id, campaign_id=campaign.id, created_at=now)
        .on_conflict_do_nothing()
        .returning(CampaignMembership.organiser_id)
    ).scalar()
    return added is not None


def revoke(session: DbSession, organiser: Organiser, campaign: Campaign) -> bool:
    result = session.execute(
        delete(CampaignMembership)
        .where(CampaignMembership.organiser_id == organiser.id)
        .where(CampaignMembership.campaign_id == campaign.id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_organisers(session: DbSession) -> list[tuple[Organiser, list[str]]]:
    """Every account with the slugs of the campaigns it was granted, by address."""
    organisers = session.scalars(select(Organiser).order_by(Organiser.email)).all()
    memberships = session.execute(
        select(CampaignMembership.organiser_id, Campaign.slug)
        .join(Campaign, Campaign.id == CampaignMembership.campaign_id)
        .order_by(Campaign.slug)
    ).all()
    slugs: dict[int, list[str]] = {}
    for organiser_id, slug in memberships:
        slugs.setdefault(organiser_id, []).append(slug)
    return [(organiser, slugs.get(organiser.id, [])) for organiser in organisers]


def visible_campaigns(session: DbSession, organiser: Organiser) -> list[Campaign]:
    """The campaigns the organiser may see: all for an admin, else those granted."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if not organiser.is_admin:
        query = query.join(
            CampaignMembership,
            (CampaignMembership.campaign_id == Campaign.id)
            & (CampaignMembership.organiser_id == organiser.id),
        )
    return list(session.scalars(query).all())


def may_see(session: DbSession, organiser: Organiser, campaign: Campaign) -> bool:
    if organiser.is_admin:
        return True
    return (
        session.scalar(
            select(CampaignMembership.campaign_id)
            .where(CampaignMembership.organiser_id == organiser.id)
            .where(CampaignMembership.campaign_id == campaign.id)
        )
        is not None
    )


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    password: str
    client_address: str
    # From the browser's signed "known browser" cookie: (organiser id, the browser's token).
    known_browser: tuple[int, str] | None


@dataclass(frozen=True)
class LoginCheck:
    """What the database says about a login attempt, before the password is checked."""

    organiser_id: int | None  # an active account with this address, else None
    password_hash: str | None
    keys: list[ThrottleKey]
    # Refused until then, without checking the password: a limit was reached
    # (`blocked_until`), or the last failures were too recent (`wait_until`, the slowdown).
    blocked_until: datetime | None
    wait_until: datetime | None = None

    @property
    def refused_until(self) -> datetime | None:
        return throttle.ThrottleDecision(self.blocked_until, self.wait_until).refused_until

    def password_matches(self, password: str) -> bool:
        """Argon2id verification, needing no database. An unknown address or a deactivated
        account costs the same verification (against a dummy hash), so the answer's timing
        does not tell which addresses have accounts."""
        if self.password_hash is None:
            spend_verification_time(password)
            return False
        return verify_password(self.password_hash, password[:MAX_LENGTH])


def throttle_keys(
    attempt: LoginAttempt, organiser: Organiser | None, secret_key: str
) -> list[ThrottleKey]:
    """The counters a login attempt (or its second-factor code) is judged by."""
    keys = [throttle.throttle_key(secret_key, throttle.ADDRESS, attempt.client_address)]
    if organiser is not None and attempt.known_browser and attempt.known_browser[0] == organiser.id:
        keys.append(throttle.throttle_key(secret_key, throttle.BROWSER, attempt.known_browser[1]))
    else:
        address = normalise_organiser_email(attempt.email)[:254]
        keys.append(throttle.throttle_key(secret_key, throttle.ACCOUNT, address))
    return keys


def check_login(
    session: DbSession,
    attempt: LoginAttempt,
    *,
    secret_key: str,
    policy: ThrottlePolicy,
    now: datetime,
) -> LoginCheck:
    """Read what a login attempt needs; changes nothing.

    The caller ends its transaction before `LoginCheck.password_matches`, so no lock is
    held while a password is hashed (on SQLite, a write transaction would stop every
    signature meanwhile), then calls `finish_login`. An attempt refused by the throttle is
    answered at once: nothing ever sleeps in a web worker.
    """
    organiser = find_organiser(session, attempt.email)
    keys = throttle_keys(attempt, organiser, secret_key)
    decision = throttle.check_throttle(session, keys, now, policy)
    usable = organiser is not None and organiser.active
    return LoginCheck(
        organiser_id=organiser.id if usable and organiser else None,
        password_hash=organiser.password_hash if usable and organiser else None,
        keys=keys,
        blocked_until=decision.blocked_until,
        wait_until=decision.wait_until,
    )


def finish_login(
    session: DbSession,
    check: LoginCheck,
    password: str,
    matched: bool,
    *,
    policy: ThrottlePolicy,
    now: datetime,
) -> Organiser | None:
    """Record the outcome of a checked attempt; the organiser if it logs in, else None."""
    organiser = (
        session.get(Organiser, check.organiser_id) if matched and check.organiser_id else None
    )
    if organiser is None or not organiser.active:
        throttle.record_failure(session, check.keys, now, policy)
        # Each made-up address tried leaves a counter; those no longer counting go here.
        throttle.forget_old(session, now, policy)
        return None
    if needs_rehash(organiser.password_hash):
        organiser.password_hash = hash_password(password[:MAX_LENGTH])
    if not organiser.has_second_factor:
        # With a second factor, the counters are cleared only once its code is right:
        # knowing the password must not reset the count of wrong codes.
        organiser.last_login_at = now
        throttle.clear(session, [key for key in check.keys if key.scope != throttle.ADDRESS])
    session.flush()
    return organiser


def unblock_account(session: DbSession, email: str, secret_key: str) -> None:
    """Forget the failed logins counted against an address (after a password reset)."""
    address = normalise_organiser_email(email)
    throttle.clear(session, [throttle.throttle_key(secret_key, throttle.ACCOUNT, address)])
