"""Organiser accounts managed from the web: invitations, password reset, a new email
address, roles, and the audit events of all that (and of logins).

Every link sent by email carries a random token whose SHA-256 alone is stored; each works
once and runs out (invitations in 72 hours, password resets in one hour, a new address in
one day). Services flush and never commit; the views commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from campaign.audit.services import COMMAND_LINE, record_event
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.mail.outbox import enqueue_email
from campaign.organisers.account_models import AccountLink, AccountLinkPurpose, Invitation
from campaign.organisers.models import Organiser
from campaign.organisers.passwords import check_new_password
from campaign.organisers.services import (
    create_organiser,
    find_organiser,
    grant,
    normalise_organiser_email,
    set_password,
    unblock_account,
)
from campaign.organisers.sessions import forget_old_sessions

INVITATION_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(hours=1)
NEW_EMAIL_LIFETIME = timedelta(hours=24)
# Reset emails sent to one account per hour, at most: the form cannot be used to flood a
# colleague's mailbox (the answer on the page stays the same).
RESETS_PER_HOUR = 3
ANONYMOUS = "anonymous"
# Ended sessions, used or expired links and invitations are deleted after this long: they
# hold addresses (an invitee's, a new one) and browser labels, needed for no longer.
KEEP_ACCOUNT_RECORDS = timedelta(days=30)


class AccountError(Exception):
    """An account operation that cannot be done; `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def record_account_event(
    session: DbSession,
    *,
    actor: Organiser | None,
    action: str,
    details: dict[str, Any],
    now: datetime,
    unnamed_actor: str = ANONYMOUS,
) -> None:
    """An account event in the audit log; `actor` None is someone not logged in (a failed
    login is "anonymous") unless `unnamed_actor` names it (the command line)."""
    record_event(
        session,
        actor=actor,
        action=action,
        campaign_id=None,
        details=details,
        now=now,
        unnamed_actor=unnamed_actor,
    )


def _subject(locale: str, text: LazyString) -> str:
    """A subject line in the recipient's language (not the page's)."""
    with force_locale(locale):
        return str(text)


def email_locale(organiser: Organiser | None, default: str) -> str:
    return (organiser.locale if organiser is not None else None) or default


# Invitations


def _checked_address(email: str) -> str:
    address = normalise_organiser_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError("invalid_email") from error
    return address


def invite(
    session: DbSession,
    *,
    admin: Organiser,
    email: str,
    make_admin: bool,
    campaign_ids: list[int],
    locale: str,
    now: datetime,
) -> tuple[Invitation, str]:
    """A new invitation (earlier ones to the same address stop working) and its email."""
    address = _checked_address(email)
    if find_organiser(session, address) is not None:
        raise AccountError("already_exists")
    session.execute(
        update(Invitation)
        .where(Invitation.email == address, Invitation.accepted_at.is_(None))
        .where(Invitation.expires_at > now)
        .values(expires_at=now)
    )
    known = set(session.scalars(select(Campaign.id).where(Campaign.id.in_(campaign_ids))).all())
    token, hashed = _new_token()
    invitation = Invitation(
        email=address,
        token_hash=hashed,
        is_admin=make_admin,
        campaign_ids=sorted(known),
        locale=locale,
        invited_by_id=admin.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    enqueue_email(
        session,
        recipient=address,
        subject=_subject(locale, _l("You are invited to organise a petition")),
        template="organiser_invitation",
        context={"token": token, "inviter": admin.email, "admin": make_admin, "hours": 72},
        now=now,
        locale=locale,
    )
    record_account_event(
        session,
        actor=admin,
        action="organiser.invite",
        details={"organiser": address, "admin": make_admin, "campaigns": sorted(known)},
        now=now,
    )
    return invitation, token


def find_invitation(session: DbSession, token: str, now: datetime) -> Invitation | None:
    """The invitation of a link, if it is unused and still running."""
    if not token or len(token) > 100:
        return None
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def accept_invitation(session: DbSession, token: str, password: str, now: datetime) -> Organiser:
    """Create the invited account with its password; the link works once (AccountError
    "invalid_link" otherwise, PasswordRejected for a password that breaks the rules)."""
    invitation = find_invitation(session, token, now)
    if invitation is None:
        raise AccountError("invalid_link")
    check_new_password(password, invitation.email)
    taken = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        raise AccountError("invalid_link")
    if find_organiser(session, invitation.email) is not None:
        raise AccountError("already_exists")
    organiser = create_organiser(
        session, invitation.email, password, admin=invitation.is_admin, now=now
    )
    organiser.locale = invitation.locale
    for campaign in session.scalars(
        select(Campaign).where(Campaign.id.in_(invitation.campaign_ids or []))
    ):
        grant(session, organiser, campaign, now)
    invitation.organiser_id = organiser.id
    record_account_event(
        session,
        actor=organiser,
        action="organiser.invitation_accepted",
        details={"organiser": organiser.email, "admin": organiser.is_admin},
        now=now,
    )
    return organiser


# Password reset


def request_password_reset(
    session: DbSession, email: str, *, now: datetime, default_locale: str
) -> None:
    """Email a reset link if an active account has this address; otherwise do nothing.

    The caller shows the same page either way. The work that differs (a token and an
    email queued) is a few inserts, far below the noise of a network round trip.
    """
    organiser = find_organiser(session, email)
    token, hashed = _new_token()  # made either way: the same work for every address
    if organiser is None or not organiser.active:
        return
    recent = session.scalar(
        select(func.count())
        .select_from(AccountLink)
        .where(AccountLink.organiser_id == organiser.id)
        .where(AccountLink.purpose == AccountLinkPurpose.PASSWORD_RESET)
        .where(AccountLink.created_at > now - timedelta(hours=1))
    )
    if (recent or 0) >= RESETS_PER_HOUR:
        return
    session.add(
        AccountLink(
            organiser_id=organiser.id,
            purpose=AccountLinkPurpose.PASSWORD_RESET,
            token_hash=hashed,
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
    )
    locale = email_locale(organiser, default_locale)
    enqueue_email(
        session,
        recipient=organiser.email,
        subject=_subject(locale, _l("Choose a new password")),
        template="organiser_password_reset",
        context={"token": token, "minutes": 60},
        now=now,
        locale=locale,
    )
    record_account_event(
        session,
        actor=organiser,
        action="organiser.password_reset_requested",
        details={},
        now=now,
    )


def find_account_link(
    session: DbSession, token: str, purpose: AccountLinkPurpose, now: datetime
) -> AccountLink | None:
    if not token or len(token) > 100:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash(token)))
    if link is None or link.purpose != purpose or link.used_at is not None:
        return None
    if link.expires_at <= now:
        return None
    return link


def _spend(session: DbSession, link: AccountLink, now: datetime) -> None:
    spent = session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    if not spent.rowcount:  # type: ignore[attr-defined]
        raise AccountError("invalid_link")


def reset_password(
    session: DbSession, token: str, password: str, *, now: datetime, secret_key: str
) -> Organiser:
    """Set a new password from a reset link: the link works once, every session of the
    account ends, and failed logins counted against it are forgotten."""
    link = find_account_link(session, token, AccountLinkPurpose.PASSWORD_RESET, now)
    organiser = session.get(Organiser, link.organiser_id) if link else None
    if link is None or organiser is None or not organiser.active:
        raise AccountError("invalid_link")
    set_password(session, organiser, password, now)
    _spend(session, link, now)
    # Any other reset link of the account stops working too.
    session.execute(
        update(AccountLink)
        .where(AccountLink.organiser_id == organiser.id)
        .where(AccountLink.purpose == AccountLinkPurpose.PASSWORD_RESET)
        .where(AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    unblock_account(session, organiser.email, secret_key)
    record_account_event(
        session, actor=organiser, action="organiser.password_reset", details={}, now=now
    )
    return organiser


def change_password(
    session: DbSession, organiser: Organiser, password: str, *, now: datetime
) -> None:
    """A new password chosen on the account page: every session ends (the caller starts a
    new one for the browser that asked)."""
    set_password(session, organiser, password, now)
    record_account_event(
        session, actor=organiser, action="organiser.password_change", details={}, now=now
    )


# A new email address


def request_email_change(
    session: DbSession, organiser: Organiser, new_email: str, *, now: datetime, locale: str
) -> None:
    """Send a confirmation link to the new address, and a notice to the current one."""
    address = _checked_address(new_email)
    if address == organiser.email:
        raise AccountError("same_email")
    if find_organiser(session, address) is not None:
        raise AccountError("already_exists")
    token, hashed = _new_token()
    session.add(
        AccountLink(
            organiser_id=organiser.id,
            purpose=AccountLinkPurpose.NEW_EMAIL,
            token_hash=hashed,
            new_email=address,
            created_at=now,
            expires_at=now + NEW_EMAIL_LIFETIME,
        )
    )
    enqueue_email(
        session,
        recipient=address,
        subject=_subject(locale, _l("Confirm your new email address")),
        template="organiser_new_email",
        context={"token": token, "hours": 24},
        now=now,
        locale=locale,
    )
    enqueue_email(
        session,
        recipient=organiser.email,
        subject=_subject(locale, _l("A new email address was asked for your account")),
        template="organiser_email_notice",
        context={"new_email": address},
        now=now,
        locale=locale,
    )
    record_account_event(
        session,
        actor=organiser,
        action="organiser.email_change_requested",
        details={"new_email": address},
        now=now,
    )


def confirm_email_change(session: DbSession, token: str, *, now: datetime) -> Organiser:
    """Give the account the new address of a confirmation link (once)."""
    link = find_account_link(session, token, AccountLinkPurpose.NEW_EMAIL, now)
    organiser = session.get(Organiser, link.organiser_id) if link else None
    if link is None or organiser is None or not organiser.active or not link.new_email:
        raise AccountError("invalid_link")
    if find_organiser(session, link.new_email) is not None:
        raise AccountError("already_exists")
    _spend(session, link, now)
    old = organiser.email
    organiser.email = link.new_email
    session.flush()
    record_account_event(
        session,
        actor=organiser,
        action="organiser.email_change",
        details={"old_email": old, "new_email": organiser.email},
        now=now,
    )
    return organiser


# Roles


def active_admins(session: DbSession) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Organiser)
            .where(Organiser.is_admin.is_(True), Organiser.active.is_(True))
        )
        or 0
    )


def set_role(
    session: DbSession, admin: Organiser, organiser: Organiser, make_admin: bool, now: datetime
) -> bool:
    """Make an account an admin or an organiser; False if it already was. The last active
    admin cannot be made an organiser (nobody could manage accounts any more)."""
    if organiser.is_admin == make_admin:
        return False
    if not make_admin and organiser.active and active_admins(session) <= 1:
        raise AccountError("last_admin")
    organiser.is_admin = make_admin
    session.flush()
    record_account_event(
        session,
        actor=admin,
        action="organiser.role",
        details={"organiser": organiser.email, "admin": make_admin},
        now=now,
    )
    return True


def set_campaign_creation(
    session: DbSession,
    admin: Organiser | None,
    organiser: Organiser,
    allowed: bool,
    now: datetime,
) -> bool:
    """Let an organiser start new campaigns, or stop them; False if nothing changes.
    `admin` None is the command line. Admins may always."""
    if organiser.can_create_campaigns == allowed:
        return False
    organiser.can_create_campaigns = allowed
    session.flush()
    record_account_event(
        session,
        actor=admin,
        action="organiser.campaign_creation",
        details={"organiser": organiser.email, "allowed": allowed},
        now=now,
        unnamed_actor=COMMAND_LINE,
    )
    return True


def forget_old_account_records(session: DbSession, now: datetime) -> int:
    """Delete what no longer serves: sessions ended or unused, links and invitations used or
    expired, KEEP_ACCOUNT_RECORDS ago. Called at each login (the tables are small)."""
    before = now - KEEP_ACCOUNT_RECORDS
    deleted = forget_old_sessions(session, now=now, keep=KEEP_ACCOUNT_RECORDS)
    for statement in (
        delete(AccountLink).where(
            (AccountLink.used_at < before) | (AccountLink.expires_at < before)
        ),
        delete(Invitation).where(
            (Invitation.accepted_at < before) | (Invitation.expires_at < before)
        ),
    ):
        deleted += int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    return deleted
