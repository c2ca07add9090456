"""A second factor for organiser accounts: TOTP (RFC 6238, any authenticator app) and ten
one-time recovery codes, and the team's rule that everyone must have one.

pyotp computes the codes; segno draws the QR code as SVG on the server (no JavaScript, and
an <img> from a data: URL passes the Content-Security-Policy).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from campaign.audit.services import Actor, record_event
from campaign.database import DbSession
from campaign.organisers.account_models import AccountPolicy, RecoveryCode
from campaign.organisers.models import Organiser
from campaign.organisers.sessions import end_every_session

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class SecondFactorError(Exception):
    """A code that is wrong, reused or expired, or an enrolment that is not under way."""


def new_pending_secret(session: DbSession, organiser: Organiser) -> str:
    """Start (or restart) enrolment: a fresh secret, kept aside until a code confirms it."""
    organiser.totp_pending_secret = pyotp.random_base32()
    session.flush()
    return organiser.totp_pending_secret


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of an otpauth:// URI, as an SVG data: URL for an <img>."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000"))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code this is (the current one, or one either side for a clock
    that drifts), if it is later than the last one used: a code never works twice."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(
    session: DbSession, organiser: Organiser, code: str, now: datetime
) -> list[str]:
    """Turn the pending secret on if `code` is right; returns new recovery codes, shown once."""
    secret = organiser.totp_pending_secret
    if secret is None:
        raise SecondFactorError("no enrolment under way")
    step = _matching_step(secret, code, now, None)
    if step is None:
        raise SecondFactorError("wrong code")
    organiser.totp_secret = secret
    organiser.totp_pending_secret = None
    organiser.totp_last_step = step
    organiser.totp_enabled_at = now
    return new_recovery_codes(session, organiser, now)


def verify_code(session: DbSession, organiser: Organiser, code: str, now: datetime) -> str | None:
    """Check a code typed at login: an authenticator code or an unused recovery code.
    Returns which it was ("totp" or "recovery"), or None if it is wrong."""
    if organiser.totp_secret is None:
        return None
    step = _matching_step(organiser.totp_secret, code, now, organiser.totp_last_step)
    if step is not None and _spend_step(session, organiser, step):
        return "totp"
    if use_recovery_code(session, organiser, code, now):
        return "recovery"
    return None


def _spend_step(session: DbSession, organiser: Organiser, step: int) -> bool:
    """Record `step` as used, if no request used it (or a later one) first: of two logins
    racing with one code, only one gets in."""
    result = session.execute(
        update(Organiser)
        .where(Organiser.id == organiser.id)
        .where(or_(Organiser.totp_last_step.is_(None), Organiser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    set_committed_value(organiser, "totp_last_step", step)  # already written, above
    return True


def _code_hash(code: str) -> str:
    folded = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(folded.encode()).hexdigest()


def new_recovery_codes(session: DbSession, organiser: Organiser, now: datetime) -> list[str]:
    """Ten new one-time codes (the old ones stop working); stored hashed, shown once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(
        RecoveryCode(organiser_id=organiser.id, code_hash=_code_hash(code), created_at=now)
        for code in codes
    )
    session.flush()
    return codes


def use_recovery_code(session: DbSession, organiser: Organiser, code: str, now: datetime) -> bool:
    """Spend a recovery code: True once per code (two requests racing cannot both win)."""
    if len(code) > 40:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.organiser_id == organiser.id)
        .where(RecoveryCode.code_hash == _code_hash(code))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(session: DbSession, organiser: Organiser) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.organiser_id == organiser.id)
            .where(RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def remove_second_factor(session: DbSession, organiser: Organiser) -> None:
    """Turn the second factor off (the owner's choice where allowed, or an admin's reset)."""
    organiser.totp_secret = None
    organiser.totp_pending_secret = None
    organiser.totp_last_step = None
    organiser.totp_enabled_at = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    session.flush()


def reset_second_factor(
    session: DbSession, organiser: Organiser, *, actor: Actor | None, now: datetime
) -> None:
    """Someone else removes the account's second factor (a lost phone and lost codes): an
    admin, or the command line (`actor` None). Every session of the account ends, and the
    audit log says who did it."""
    remove_second_factor(session, organiser)
    end_every_session(session, organiser, now)
    record_event(
        session,
        actor=actor,
        action="organiser.second_factor_reset",
        campaign_id=None,
        details={"organiser": organiser.email},
        now=now,
    )


def second_factor_required(session: DbSession) -> bool:
    policy = session.get(AccountPolicy, 1)
    return bool(policy and policy.require_second_factor)


def set_second_factor_required(session: DbSession, required: bool, now: datetime) -> None:
    policy = session.get(AccountPolicy, 1)
    if policy is None:
        policy = AccountPolicy(id=1)
        session.add(policy)
    policy.require_second_factor = required
    policy.changed_at = now
    session.flush()
