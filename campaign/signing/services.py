"""Signing and confirming: plain functions over a session, called by views, CLI and tests.

They flush but never commit: the caller owns the transaction, so a signature and the email
it causes are committed together or not at all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlencode

from flask_babel import force_locale, gettext
from sqlalchemy import Insert, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CampaignText, campaign_text
from campaign.database import DbSession, insert_for
from campaign.identity import mailbox, normalise_email
from campaign.links import public_url_for, public_url_prefix
from campaign.mail.outbox import enqueue_email_row
from campaign.mail.supporter import email_supporter, supporter_email_row
from campaign.signing.consent import CONSENT_VERSION
from campaign.signing.models import (
    NOT_DUPLICATE,
    ConfirmationLink,
    Signature,
    SignatureStatus,
)
from campaign.tallies.services import add_to_tally
from campaign.tokens import TokenInvalid, hash_token, new_manage_key, new_token


class CampaignClosed(Exception):
    """The campaign does not take signatures at this time."""


class TokenExpired(Exception):
    """The token was right but its time ran out; signing again sends a new one."""

    def __init__(self, campaign: Campaign) -> None:
        super().__init__(campaign.slug)
        self.campaign = campaign


class SignOutcome(enum.Enum):
    NEW = "new"
    CONFIRMATION_RESENT = "confirmation_resent"
    ALREADY_SIGNED_EMAILED = "already_signed_emailed"
    NOTHING_SENT = "nothing_sent"  # repeat limit reached: the mailbox is not flooded


class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"


@dataclass(frozen=True)
class SignerDetails:
    """What supporters give about themselves (on the form, a paper sheet or through the API)."""

    first_name: str
    last_name: str
    email: str
    country: str
    postcode: str | None
    opt_in: bool
    source: str | None


SIGNER_FIELDS = tuple(field.name for field in fields(SignerDetails))


@dataclass(frozen=True)
class SignatureInput(SignerDetails):
    locale: str
    ip_hash: str | None
    suspect: bool = False
    # Answers to the campaign's own questions, by key, as signing.forms.answers_from gives.
    answers: dict[str, Any] | None = None


@dataclass(frozen=True)
class SigningPolicy:
    token_lifetime: timedelta
    repeat_email_limit: int
    tally_shards: int


@lru_cache(maxsize=4)
def _insert_if_new(dialect: str) -> ReturningInsert[Any]:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id`, built once: building it per request
    costs more than running it."""
    insert = insert_for(dialect)
    # On the table, not the entity: the ORM's bulk-insert machinery is not needed here.
    table = cast(Table, Signature.__table__)
    return (
        insert(table)
        .on_conflict_do_nothing(
            index_elements=["campaign_id", "email_normalised"],
            # The index's own predicate, as text: a parameter here names the partial index
            # only when the server plans for the value it is given, not once for all runs
            # (a generic plan, which PostgreSQL may choose for a prepared statement).
            index_where=text(NOT_DUPLICATE),
        )
        .returning(table.c.id)
    )


def sign_petition(
    session: DbSession,
    campaign: Campaign,
    data: SignatureInput,
    *,
    now: datetime,
    policy: SigningPolicy,
    text: CampaignText | None = None,
) -> SignOutcome:
    """Record a pending signature and queue its confirmation email.

    If the address already signed this campaign, no second row is made, whatever the
    concurrency: the unique constraint decides, and the address gets a new link (pending)
    or a thank-you (confirmed). The caller shows the same page in every case.

    The email speaks the signer's language (`data.locale`), campaign title included:
    `text` is the campaign in that language when the caller has it at hand (the page
    does), else it is read here.
    """
    if not campaign.is_open(now):
        raise CampaignClosed(campaign.slug)
    if text is None or text.locale not in (data.locale, campaign.locale):
        text = campaign_text(session, campaign, data.locale)

    token, token_hash = new_token()
    manage_key = new_manage_key()
    # Stored and delivered to in its IDNA 2008 form (the form validated it already).
    delivery, normalised = mailbox(data.email)
    recipient = delivery or data.email.strip()
    expires_at = now + policy.token_lifetime
    values: dict[str, object] = {
        "campaign_id": campaign.id,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "email": recipient,
        "email_normalised": normalised,
        "country": data.country,
        "postcode": data.postcode or None,
        "opt_in": data.opt_in,
        "source": data.source,
        "status": SignatureStatus.PENDING,
        "locale": data.locale,
        "signed_at": now,
        "confirmation_expires_at": expires_at,
        "repeat_emails_sent": 0,
        "consent_version": CONSENT_VERSION,
        "ip_hash": data.ip_hash,
        "suspect": data.suspect,
        "manage_key": manage_key,
        "answers": data.answers,
    }
    # The email a new signature sends is made before the first statement: on SQLite that
    # statement takes the database's one write lock, held until the commit, and every
    # other signer waits for it. (Wasted for an address that signed before: the few.)
    confirmation = _confirmation_email(
        text, manage_key, recipient, data.locale, token, now, data.first_name
    )
    # Core statements on the session's connection (its transaction): the ORM adds nothing
    # to an insert of plain values but its own cost.
    connection = session.connection()
    statement = _insert_if_new(connection.dialect.name)
    new_id = cast(int | None, connection.execute(statement, values).scalar())

    if new_id is not None:
        # A new signature has no links to tidy up (a deleted one's went with it).
        connection.execute(
            _insert_link(),
            {"signature_id": new_id, "token_hash": token_hash, "expires_at": expires_at},
        )
        signals.signature_created.send(campaign.id, session=session, signature_id=new_id, now=now)
        enqueue_email_row(session, confirmation, signature_id=new_id)
        return SignOutcome.NEW
    return _signed_again(session, campaign, text, values, token, token_hash, now, policy)


@lru_cache(maxsize=1)
def _insert_link() -> Insert:
    return insert(cast(Table, ConfirmationLink.__table__))


# What a new submission replaces on a pending signature: the latest details are the ones
# confirmed (the confirm page shows the name and the news choice).
_RESUBMITTED = (
    *SIGNER_FIELDS,
    "locale",
    "consent_version",
    "ip_hash",
    "suspect",
)


def _add_link(
    session: DbSession,
    signature_id: int,
    token_hash: str,
    expires_at: datetime,
    now: datetime,
    *,
    keep: int,
) -> None:
    """Record a new confirmation link, after dropping the signature's expired links and all
    but its `keep` newest others: the live links stay bounded by the resend cap."""
    session.execute(
        delete(ConfirmationLink)
        .where(ConfirmationLink.signature_id == signature_id)
        .where(ConfirmationLink.expires_at <= now),
        execution_options={"synchronize_session": False},
    )
    older = session.scalars(
        select(ConfirmationLink.id)
        .where(ConfirmationLink.signature_id == signature_id)
        .order_by(ConfirmationLink.id.desc())
        .offset(keep)
    ).all()
    if older:
        session.execute(
            delete(ConfirmationLink).where(ConfirmationLink.id.in_(older)),
            execution_options={"synchronize_session": False},
        )
    session.add(
        ConfirmationLink(signature_id=signature_id, token_hash=token_hash, expires_at=expires_at)
    )
    session.flush()


def _signed_again(
    session: DbSession,
    campaign: Campaign,
    text: CampaignText,
    values: dict[str, object],
    token: str,
    token_hash: str,
    now: datetime,
    policy: SigningPolicy,
) -> SignOutcome:
    existing = session.execute(
        select(Signature)
        .where(Signature.campaign_id == campaign.id)
        .where(Signature.email_normalised == values["email_normalised"])
        .where(Signature.status != SignatureStatus.DUPLICATE)
        .with_for_update()
    ).scalar_one()
    if existing.status == SignatureStatus.INVALIDATED:
        # Removed in a clean-up: its links can never confirm, so none is sent (the page is
        # the same as for every other outcome). See docs/security.md.
        return SignOutcome.NOTHING_SENT
    pending = existing.status == SignatureStatus.PENDING
    if pending:
        for name in _RESUBMITTED:
            setattr(existing, name, values[name])
    # Only a pending signature's expiry lifts the cap: its links no longer work, so it needs
    # a new one. A confirmed signature needs nothing, however long ago it signed.
    expired = pending and (
        existing.confirmation_expires_at is None or existing.confirmation_expires_at <= now
    )
    if existing.repeat_emails_sent >= policy.repeat_email_limit and not expired:
        session.flush()
        return SignOutcome.NOTHING_SENT

    existing.repeat_emails_sent += 1
    # Only anonymised signatures have no key, and they match no address any more.
    assert existing.manage_key is not None
    recipient = str(values["email"])
    locale = str(values["locale"])
    # Email goes to the address typed this time: it is the same mailbox after normalisation,
    # and the one the person is watching now.
    if existing.confirmed:
        with force_locale(locale):
            subject = gettext("You have already signed: %(title)s", title=text.title)
        email_supporter(
            session,
            signature_id=existing.id,
            manage_key=existing.manage_key,
            recipient=recipient,
            subject=subject,
            template="already_signed",
            context={
                "campaign": email_campaign(text),
                "first_name": existing.first_name,
                "campaign_url": public_url_for("signing.show", slug=campaign.slug, lang=locale),
            },
            now=now,
            locale=locale,
        )
        session.flush()
        return SignOutcome.ALREADY_SIGNED_EMAILED

    expires_at = now + policy.token_lifetime
    existing.confirmation_expires_at = expires_at
    _add_link(session, existing.id, token_hash, expires_at, now, keep=policy.repeat_email_limit)
    _queue_confirmation(
        session,
        text,
        existing.id,
        existing.manage_key,
        recipient,
        locale,
        token,
        now,
        first_name=existing.first_name,
    )
    return SignOutcome.CONFIRMATION_RESENT


def resend_confirmation(
    session: DbSession,
    campaign: Campaign,
    email: str,
    *,
    now: datetime,
    policy: SigningPolicy,
) -> SignOutcome:
    """Send the email again to an address that signed this campaign, as signing again with
    the details it has would: a new link if pending, "already signed" if confirmed, within
    the same cap. An address that did not sign gets nothing; the caller shows the same page
    whatever happened."""
    existing = session.scalar(
        select(Signature)
        .where(Signature.campaign_id == campaign.id)
        .where(Signature.email_normalised == normalise_email(email))
        .where(Signature.status != SignatureStatus.DUPLICATE)
    )
    if existing is None:
        return SignOutcome.NOTHING_SENT
    # Its own details, unchanged: only a new submission of the form replaces them.
    values: dict[str, object] = {name: getattr(existing, name) for name in _RESUBMITTED}
    values["email_normalised"] = existing.email_normalised
    text = campaign_text(session, campaign, existing.locale)
    token, token_hash = new_token()
    return _signed_again(session, campaign, text, values, token, token_hash, now, policy)


def _queue_confirmation(
    session: DbSession,
    text: CampaignText,
    signature_id: int,
    manage_key: str,
    recipient: str,
    locale: str,
    token: str,
    now: datetime,
    *,
    first_name: str | None = None,
) -> None:
    """Queue the confirmation email (see `_confirmation_email`)."""
    row = _confirmation_email(text, manage_key, recipient, locale, token, now, first_name)
    enqueue_email_row(session, row, signature_id=signature_id)


def _confirmation_email(
    text: CampaignText,
    manage_key: str,
    recipient: str,
    locale: str,
    token: str,
    now: datetime,
    first_name: str | None,
) -> dict[str, Any]:
    """The confirmation email's outbox row, written in the language the supporter signed
    in, and greeting them by their first name."""
    return supporter_email_row(
        manage_key=manage_key,
        recipient=recipient,
        subject=_confirmation_subject(locale, text.title),
        template="confirm",
        context={
            "campaign": email_campaign(text),
            "first_name": first_name,
            # The page behind the link speaks the same language as the email.
            "confirm_url": public_url_prefix("signing.confirm")
            + token
            + "?"
            + urlencode({"lang": locale}),
        },
        now=now,
        locale=locale,
    )


@lru_cache(maxsize=256)
def _confirmation_subject(locale: str, title: str) -> str:
    """The subject in `locale`: the same for every signer of a campaign, so worked out once
    (a translation lookup under `force_locale` costs more than most of signing)."""
    with force_locale(locale):
        return gettext("Please confirm your signature: %(title)s", title=title)


def email_campaign(text: CampaignText) -> dict[str, str]:
    """What the supporters' email templates show of a campaign, as plain data for the outbox,
    in the email's language: its title (links come ready-made in their own fields). Only
    what a template reads is stored."""
    return {"title": text.title}


def find_signature_by_token(session: DbSession, token: str, now: datetime) -> Signature:
    """The signature a confirmation link belongs to; raises if the link is not valid (now)."""
    if not token or len(token) > 100:
        raise TokenInvalid()
    found = session.execute(
        select(Signature, ConfirmationLink.expires_at)
        .join(ConfirmationLink, ConfirmationLink.signature_id == Signature.id)
        .where(ConfirmationLink.token_hash == hash_token(token))
    ).first()
    if found is None:
        raise TokenInvalid()
    signature, expires_at = found
    if signature.status in (SignatureStatus.INVALIDATED, SignatureStatus.DUPLICATE):
        raise TokenInvalid()
    # Each link works until its own expiry, whichever of the signature's links it is.
    if signature.status == SignatureStatus.PENDING and expires_at <= now:
        campaign = session.get(Campaign, signature.campaign_id)
        assert campaign is not None
        raise TokenExpired(campaign)
    return signature


def confirm_signature(
    session: DbSession, token: str, *, now: datetime, tally_shards: int
) -> tuple[ConfirmOutcome, Signature]:
    """Turn a pending signature confirmed, once, and count it.

    The conditional UPDATE makes this exactly-once: of two requests racing with the same
    token, only one changes the row and adds to the tally.
    """
    if token and len(token) <= 100:
        # The usual case in one statement: a pending signature whose link is still valid.
        confirmed_now: Signature | None = session.execute(
            _confirm_by_link(),
            {"token_hash": hash_token(token), "now": now, "confirmed_at": now},
            execution_options={"synchronize_session": False},
        ).scalar()
        if confirmed_now is not None:
            _just_confirmed(session, confirmed_now, now, tally_shards)
            return ConfirmOutcome.CONFIRMED, confirmed_now
    # Otherwise: say why (already confirmed, expired, unknown), as the link page does.
    signature = find_signature_by_token(session, token, now)
    if signature.confirmed:
        return ConfirmOutcome.ALREADY_CONFIRMED, signature
    changed = session.execute(
        update(Signature)
        .where(Signature.id == signature.id)
        .where(Signature.status == SignatureStatus.PENDING)
        .values(status=SignatureStatus.CONFIRMED, confirmed_at=now)
        .returning(Signature.id),
        execution_options={"synchronize_session": False},
    ).scalar()
    if changed is None:
        # Confirmed meanwhile by another request, or deleted (by its supporter or the purge).
        confirmed = session.scalar(
            select(Signature)
            .where(Signature.id == signature.id)
            .execution_options(populate_existing=True)
        )
        if confirmed is None:
            raise TokenInvalid()
        return ConfirmOutcome.ALREADY_CONFIRMED, confirmed
    session.refresh(signature)
    _just_confirmed(session, signature, now, tally_shards)
    return ConfirmOutcome.CONFIRMED, signature


@lru_cache(maxsize=1)
def _confirm_by_link() -> ReturningUpdate[Any]:
    """`confirm_signature`'s usual case, built once: building it cost more than running it."""
    link = (
        select(ConfirmationLink.signature_id)
        .where(ConfirmationLink.token_hash == bindparam("token_hash"))
        .where(ConfirmationLink.expires_at > bindparam("now"))
        .scalar_subquery()
    )
    return (
        update(Signature)
        .where(Signature.id == link)
        .where(Signature.status == SignatureStatus.PENDING)
        .values(status=SignatureStatus.CONFIRMED, confirmed_at=bindparam("confirmed_at"))
        .returning(Signature)
    )


def _just_confirmed(session: DbSession, signature: Signature, now: datetime, shards: int) -> None:
    """Count a signature this request confirmed, and say so to whoever listens."""
    if signature.counted:  # a suspect one is counted if and when an organiser releases it
        add_to_tally(session, signature.campaign_id, signature.country, 1, now, shards)
    signals.signature_confirmed.send(
        signature.campaign_id, session=session, signature_id=signature.id, now=now
    )
