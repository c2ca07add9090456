from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    ColumnAction,
    Kind,
    Match,
    NoPersonalData,
    PersonalColumn,
    declare,
    staff_table,
)


class Organiser(Base):
    """A member of campaign staff who logs in to watch campaigns and export signatures.

    Accounts are deactivated, never deleted, so the audit log keeps saying who did what.
    """

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # trimmed and lowercased
    # Argon2id, in the PHC string format (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # May start new campaigns (admins always may); set on the team page or with
    # `flask organisers allow-create`.
    can_create_campaigns: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Bumped on logout, password change, deactivation and reactivation: every session made
    # under an older generation ends at its next request (see organisers/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language of the emails the account receives (None: the site's default).
    locale: Mapped[str | None] = mapped_column(String(16))
    # TOTP (RFC 6238) shared secret, base32, once enrolment is confirmed; the one being
    # enrolled waits in `totp_pending_secret`. `totp_last_step` refuses a code used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    totp_enabled_at: Mapped[datetime | None]

    # Flask-Login's user interface.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    def get_id(self) -> str:
        """What the session cookie holds: the id, the session generation and a fingerprint
        of the password hash. A new password, a logout or a deactivation (which the loader
        checks) ends every session made before it, on every browser."""
        return f"{self.id}:{self.session_generation}:{self.session_fingerprint()}"

    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


class CampaignMembership(Base):
    """An organiser may see this campaign (admins see every campaign without one)."""

    __tablename__ = "campaign_memberships"

    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Recent failed logins for one account, one browser or one client address.

    The key is a keyed hash (HMAC with the secret key) of the email address, the browser's
    token or the address: never the value itself, and the same for addresses that have no
    account, so the table tells nobody which accounts exist.
    """

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # account, browser, address
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    blocked_until: Mapped[datetime | None]


# Staff data (see campaign/personal_data.py). Accounts are deactivated, never deleted or
# anonymised, so the audit log keeps saying who did what.
declare(
    staff_table(
        table="organisers",
        personal={
            "email": PersonalColumn(Kind.DIRECT, ColumnAction.KEEP, "the login"),
            "last_login_at": PersonalColumn(Kind.LINKABLE, ColumnAction.KEEP, "account activity"),
            "locale": PersonalColumn(Kind.LINKABLE, ColumnAction.KEEP, "language of its emails"),
            "totp_enabled_at": PersonalColumn(
                Kind.LINKABLE, ColumnAction.KEEP, "when the second factor was set up"
            ),
        },
        not_personal={
            "totp_secret": "a credential of the account, not about the person",
            "totp_pending_secret": "the same, while being set up",
        },
        found_by={"email": Match.EMAIL_IGNORING_CASE},
        why_kept="accountability: deactivate the account (flask organisers deactivate)",
    )
)
declare(
    NoPersonalData(
        table="campaign_memberships",
        why="ids only: which campaigns an account may see (the person is in organisers)",
    )
)
declare(
    staff_table(
        table="login_throttles",
        personal={
            "key_hash": PersonalColumn(
                Kind.PSEUDONYMOUS,
                ColumnAction.KEEP,
                "keyed hash of the address, browser token or client address that failed",
            ),
        },
        why_kept="cannot be found from an address without the secret; forgotten after "
        "twice the block time (throttle.forget_old)",
    )
)
