from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    ColumnAction,
    Kind,
    Match,
    PersonalColumn,
    RowAction,
    Subject,
    TableDeclaration,
    declare,
)


class SignatureStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    INVALIDATED = "invalidated"  # removed by an organiser cleaning up an attack
    # The same mailbox as an earlier signature of the campaign, under another spelling (found
    # when the normalisation learnt that spelling): kept, never counted, never exported.
    DUPLICATE = "duplicate"


# One signature per mailbox and campaign; duplicates (kept for the record) stand aside.
NOT_DUPLICATE = "status <> 'duplicate'"


class Signature(Base):
    """One person's signature on one campaign.

    It counts in public when it is confirmed and not suspect (see `counts_in_public`).
    """

    __tablename__ = "signatures"
    __table_args__ = (
        Index(
            "uq_signatures_campaign_id_email_normalised",
            "campaign_id",
            "email_normalised",
            unique=True,
            sqlite_where=text(NOT_DUPLICATE),
            postgresql_where=text(NOT_DUPLICATE),
        ),
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'invalidated', 'duplicate')", name="status_known"
        ),
        # The public "recent signers" list and the per-day plots read confirmed rows by time.
        Index("ix_signatures_campaign_status_confirmed", "campaign_id", "status", "confirmed_at"),
        # Covers the dashboard's counts by source and opt-in: an index-only scan instead of
        # reading every row (4 s to 0.2 s at a million signatures on SQLite).
        Index("ix_signatures_campaign_status_source", "campaign_id", "status", "source", "opt_in"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Name and email are emptied ("") when the signature is anonymised (see docs/privacy.md).
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Where email goes: as typed, with the domain in its IDNA 2008 ASCII form
    # (identity.delivery_address).
    email: Mapped[str] = mapped_column(String(254))
    # What "already signed" means (identity.normalise_email); NULL once anonymised (NULLs
    # never collide in the unique index).
    email_normalised: Mapped[str | None] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    postcode: Mapped[str | None] = mapped_column(String(16))
    # True while the supporter wants news: given (or not) when signing, under the wording of
    # `consent_version`; turned false for good when they unsubscribe.
    opt_in: Mapped[bool] = mapped_column(default=False)
    opt_in_withdrawn_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=SignatureStatus.PENDING)
    # Signed beyond a soft rate limit: accepted, but not counted until an organiser releases it.
    suspect: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # When the newest confirmation link expires: a pending signature whose newest link has
    # expired may be sent a new one (see signing/services.py). The links are ConfirmationLink.
    confirmation_expires_at: Mapped[datetime | None]
    # Emails sent because this address signed again (re-sent links, "already signed").
    repeat_emails_sent: Mapped[int] = mapped_column(default=0)
    # The wording (and privacy notice) version shown when signing: see signing/consent.py.
    consent_version: Mapped[str] = mapped_column(String(32))
    # HMAC-SHA-256 of the client address, keyed with the secret key: never the address.
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    # The random handle in the unsubscribe and delete links (campaign/tokens.py); NULL once
    # anonymised, which ends those links.
    manage_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The earlier signature this one is a duplicate of (status 'duplicate').
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="SET NULL")
    )
    # When the retention purge removed the personal fields (see privacy/retention.py).
    anonymised_at: Mapped[datetime | None]

    @property
    def confirmed(self) -> bool:
        return self.status == SignatureStatus.CONFIRMED

    @property
    def counted(self) -> bool:
        """Whether it counts in public now (see `is_counted`)."""
        return is_counted(self.status, self.suspect)

    @property
    def receives_news(self) -> bool:
        """Whether news may be sent to this supporter now (see `receives_news_clause`)."""
        return (
            self.counted
            and self.opt_in
            and self.opt_in_withdrawn_at is None
            and self.anonymised_at is None
        )


class ConfirmationLink(Base):
    """One confirmation link sent for a signature: each works until its own expiry, so the
    email on top of the pile confirms whichever it is. At most the resend cap plus one are
    kept per signature (the oldest go first)."""

    __tablename__ = "confirmation_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token in the link; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]


def is_counted(status: str, suspect: bool) -> bool:
    """The rule for a signature to count anywhere public: confirmed, and not held as suspect.
    `counts_in_public` is the same rule in SQL."""
    return status == SignatureStatus.CONFIRMED and not suspect


def counts_in_public() -> ColumnElement[bool]:
    """`is_counted` as a WHERE clause."""
    return and_(Signature.status == SignatureStatus.CONFIRMED, Signature.suspect.is_(False))


def receives_news_clause() -> ColumnElement[bool]:
    """The supporters news may be sent to: counted (confirmed, not suspect), opted in, never
    unsubscribed, not anonymised. Every list of recipients of news and every opted-in export
    uses this."""
    return and_(
        counts_in_public(),
        Signature.opt_in.is_(True),
        Signature.opt_in_withdrawn_at.is_(None),
        Signature.anonymised_at.is_(None),
    )


declare(
    TableDeclaration(
        table="signatures",
        subject=Subject.SUPPORTER,
        personal={
            "first_name": PersonalColumn(Kind.DIRECT, ColumnAction.EMPTY, "delivered as a name"),
            "last_name": PersonalColumn(Kind.DIRECT, ColumnAction.EMPTY, "delivered as a name"),
            "email": PersonalColumn(Kind.DIRECT, ColumnAction.EMPTY, "where email goes"),
            "email_normalised": PersonalColumn(
                Kind.DIRECT, ColumnAction.NULL, "one signature per address"
            ),
            "postcode": PersonalColumn(Kind.DIRECT, ColumnAction.NULL, "constituency work"),
            "ip_hash": PersonalColumn(
                Kind.PSEUDONYMOUS, ColumnAction.NULL, "keyed hash of the client address"
            ),
            "manage_key": PersonalColumn(
                Kind.LINKING, ColumnAction.NULL, "the handle in the supporter's own links"
            ),
            "confirmation_expires_at": PersonalColumn(
                Kind.LINKABLE, ColumnAction.NULL, "when the newest confirmation link expires"
            ),
            "signed_at": PersonalColumn(Kind.LINKABLE, ColumnAction.DAY, "consent given"),
            "confirmed_at": PersonalColumn(Kind.LINKABLE, ColumnAction.DAY, "double opt-in"),
        },
        on_erasure=RowAction.DELETE,
        on_anonymisation=RowAction.CLEAR,
        found_by={
            "email_normalised": Match.NORMALISED_EMAIL,
            "email": Match.EMAIL_IGNORING_CASE,
        },
        report_as="signatures",
        report_columns=(
            "id",
            "first_name",
            "last_name",
            "email",
            "email_normalised",
            "country",
            "postcode",
            "opt_in",
            "opt_in_withdrawn_at",
            "source",
            "status",
            "locale",
            "signed_at",
            "confirmed_at",
            "consent_version",
            "ip_hash",
            "confirmation_expires_at",
            "repeat_emails_sent",
            "manage_key",
            "duplicate_of_id",
        ),
    )
)

declare(
    TableDeclaration(
        table="confirmation_links",
        subject=Subject.SUPPORTER,
        personal={
            "token_hash": PersonalColumn(
                Kind.LINKING, ColumnAction.NULL, "hash of a confirmation link's token"
            ),
            "expires_at": PersonalColumn(
                Kind.LINKABLE, ColumnAction.NULL, "when that link stops working"
            ),
        },
        # Links die with their signature: no confirmation after a deletion or anonymisation.
        on_erasure=RowAction.DELETE,
        on_anonymisation=RowAction.DELETE,
        found_by={"signature_id": Match.SIGNATURE_ID},
        report_as="confirmation_links",
        report_columns=("signature_id", "token_hash", "expires_at"),
    )
)
