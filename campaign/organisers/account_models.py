"""What organiser accounts keep beside the account itself: open sessions, recovery codes,
invitations, emailed links (password reset, new address) and the team's policy.

Every secret that travels in a link or is shown once (tokens, recovery codes) is stored as
its SHA-256 only: the table alone lets nobody in.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
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


class OrganiserSession(Base):
    """One browser logged in to an account, listed on the account page.

    The browser's cookie holds a random key whose hash is `key_hash`; a session is open
    while it is not ended, not older than ORGANISER_SESSION_HOURS, and made under the
    account's current session generation.
    """

    __tablename__ = "organiser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Updated at most every few minutes: an approximate time is all the page shows.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Firefox on Linux": what the owner needs to recognise it, never the whole User-Agent.
    browser: Mapped[str] = mapped_column(String(80), default="")
    ended_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app (ten are given at once)."""

    __tablename__ = "organiser_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Invitation(Base):
    """An admin's invitation to a colleague: a single-use link that creates the account."""

    __tablename__ = "organiser_invitations"
    __table_args__ = (Index("ix_organiser_invitations_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    campaign_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    locale: Mapped[str | None] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )


class AccountLinkPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a password)
    NEW_EMAIL = "new_email"


class AccountLink(Base):
    """A single-use link emailed to an organiser: a password reset, or the confirmation of
    a new address (`new_email`)."""

    __tablename__ = "organiser_account_links"
    __table_args__ = (Index("ix_organiser_account_links_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[AccountLinkPurpose] = mapped_column(
        Enum(AccountLinkPurpose, native_enum=False, length=16)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccountPolicy(Base):
    """The team's rules for every account (one row, id 1): whether a second factor is
    required of everyone."""

    __tablename__ = "organiser_account_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    require_second_factor: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime | None]


# Staff data (see campaign/personal_data.py). Kept while it serves, then deleted by
# accounts.forget_old_account_records (30 days after a session ends or a link or invitation
# is used or runs out); never touched by a supporter's erasure or anonymisation.
_FORGOTTEN = "deleted 30 days after it ends, is used or runs out (forget_old_account_records)"
declare(
    staff_table(
        table="organiser_sessions",
        personal={
            "key_hash": PersonalColumn(
                Kind.LINKING, ColumnAction.KEEP, "hash of the key in the browser's cookie"
            ),
            "browser": PersonalColumn(
                Kind.LINKABLE, ColumnAction.KEEP, "a browser label shown to its owner"
            ),
            "created_at": PersonalColumn(Kind.LINKABLE, ColumnAction.KEEP, "when they logged in"),
            "last_seen_at": PersonalColumn(Kind.LINKABLE, ColumnAction.KEEP, "approximate"),
        },
        why_kept=f"the account's own sessions, listed on its page; {_FORGOTTEN}",
    )
)
declare(
    staff_table(
        table="organiser_recovery_codes",
        personal={
            "code_hash": PersonalColumn(
                Kind.LINKING, ColumnAction.KEEP, "hash of a one-time code given to the account"
            ),
        },
        why_kept="the account's second factor; deleted with it",
    )
)
declare(
    staff_table(
        table="organiser_invitations",
        personal={
            "email": PersonalColumn(Kind.DIRECT, ColumnAction.KEEP, "who was invited"),
            "token_hash": PersonalColumn(Kind.LINKING, ColumnAction.KEEP, "the link's hash"),
        },
        found_by={"email": Match.EMAIL_IGNORING_CASE},
        not_personal={"invited_by_id": "the inviting admin's account id (staff, in organisers)"},
        why_kept=f"an admin's invitation of staff; {_FORGOTTEN}",
    )
)
declare(
    staff_table(
        table="organiser_account_links",
        personal={
            "new_email": PersonalColumn(Kind.DIRECT, ColumnAction.KEEP, "an address asked for"),
            "token_hash": PersonalColumn(Kind.LINKING, ColumnAction.KEEP, "the link's hash"),
        },
        found_by={"new_email": Match.EMAIL_IGNORING_CASE},
        why_kept=f"password resets and address changes of staff; {_FORGOTTEN}",
    )
)
declare(NoPersonalData(table="organiser_account_policy", why="one rule for every account"))
