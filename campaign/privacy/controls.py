"""What a supporter can do from the links in every email: stop news, delete their signature.

Plain functions over a session, called by the views, the CLI and the tests; they flush but
never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import force_locale, gettext
from sqlalchemy import delete, func, select, update

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import campaign_text
from campaign.database import DbSession, dialect_insert
from campaign.identity import normalise_email
from campaign.links import public_url_for
from campaign.mail.models import MessageCategory, OutboxMessage, OutboxStatus
from campaign.mail.outbox import enqueue_email
from campaign.personal_data import declaration_of, erase_rows_of_signatures, rows_of_person
from campaign.privacy.models import ErasureCount
from campaign.signing.models import Signature, SignatureStatus, is_counted
from campaign.signing.services import SignerDetails, email_campaign
from campaign.tallies.services import add_to_tally
from campaign.tokens import LinkPurpose, TokenInvalid, read_link_token

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReceipt(SignerDetails):
    """What was deleted, to show the supporter (once, on the page that answers their POST)."""

    campaign_id: int
    campaign_slug: str
    signed_at: datetime
    confirmed_at: datetime | None
    was_confirmed: bool
    was_counted: bool  # in the public count until now (confirmed, and not held as suspect)
    emails_deleted: int


def signature_for_link(
    session: DbSession, token: str, purpose: LinkPurpose, secret_keys: Iterable[str]
) -> Signature:
    """The signature a manage link belongs to; raises TokenInvalid if there is none."""
    manage_key = read_link_token(token, purpose, secret_keys)
    if manage_key is None:
        raise TokenInvalid()
    signature = session.scalar(select(Signature).where(Signature.manage_key == manage_key))
    if signature is None:
        raise TokenInvalid()
    return signature


def stop_news(session: DbSession, signature: Signature, *, now: datetime) -> bool:
    """Stop news to this supporter, for good; True if they were receiving it until now.

    `opt_in` turns false (so any list or export of opted-in supporters leaves them out with
    no other rule to remember) and the time is recorded; news already queued for them is
    cancelled. Emails they cause themselves (a confirmation, a deletion receipt) still go.
    """
    changed = session.execute(
        update(Signature)
        .where(Signature.id == signature.id)
        .where(Signature.opt_in.is_(True))
        .values(opt_in=False, opt_in_withdrawn_at=now)
        .returning(Signature.id),
        execution_options={"synchronize_session": False},
    ).scalar()
    session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.signature_id == signature.id)
        .where(OutboxMessage.category == MessageCategory.UPDATE)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])),
        execution_options={"synchronize_session": False},
    )
    session.refresh(signature)
    if changed is not None:
        log.info("Signature %s unsubscribed from news", signature.id)
        signals.signature_unsubscribed.send(
            signature.campaign_id, session=session, signature_id=signature.id, now=now
        )
    return changed is not None


def erase_signature(
    session: DbSession,
    signature: Signature,
    *,
    now: datetime,
    tally_shards: int,
    send_receipt: bool = True,
) -> ErasureReceipt:
    """Delete a signature for good, at its supporter's request.

    The row goes (not only its personal fields: a withdrawn signature no longer counts, so
    nothing about it is worth keeping), with every email to it in the outbox, sent or not.
    If it was confirmed, the public count drops by one at once. The day's erasure count for
    the campaign goes up, and a receipt is queued to the address (the only trace left, gone
    at the first purge after it is sent). Raises TokenInvalid if another request deleted
    the signature first.
    """
    campaign = session.get(Campaign, signature.campaign_id)
    assert campaign is not None
    signature_id, locale = signature.id, signature.locale
    receipt = ErasureReceipt(
        campaign_id=campaign.id,
        campaign_slug=campaign.slug,
        first_name=signature.first_name,
        last_name=signature.last_name,
        email=signature.email,
        country=signature.country,
        postcode=signature.postcode,
        opt_in=signature.opt_in,
        source=signature.source,
        signed_at=signature.signed_at,
        confirmed_at=signature.confirmed_at,
        was_confirmed=False,
        was_counted=False,
        emails_deleted=0,
    )

    # What other tables hold about it goes first, as the registry declares (the outbox: every
    # email to it, sent or not); then the row itself.
    # Its duplicates (the same mailbox under other spellings, kept uncounted) go with it.
    duplicates = list(
        session.scalars(select(Signature.id).where(Signature.duplicate_of_id == signature_id))
    )
    changed = erase_rows_of_signatures(session, [signature_id, *duplicates])
    emails_deleted = changed.get(OutboxMessage.__tablename__, 0)
    if duplicates:
        session.execute(
            delete(Signature).where(Signature.id.in_(duplicates)),
            execution_options={"synchronize_session": False},
        )
    # The row as it is when it goes: a confirmation (or an organiser's release of a suspect
    # signature) racing with this deletion has either committed, and counted, before, or
    # finds no row after.
    gone = session.execute(
        delete(Signature)
        .where(Signature.id == signature_id)
        .returning(Signature.status, Signature.suspect),
        execution_options={"synchronize_session": False},
    ).first()
    session.expunge(signature)
    if gone is None:
        raise TokenInvalid()
    status, suspect = gone
    was_confirmed = status == SignatureStatus.CONFIRMED
    was_counted = is_counted(status, suspect)
    if was_counted:
        add_to_tally(session, campaign.id, receipt.country, -1, now, tally_shards)
    _count_erasure(session, campaign.id, now, confirmed=was_confirmed)
    receipt = replace(
        receipt, was_confirmed=was_confirmed, was_counted=was_counted, emails_deleted=emails_deleted
    )
    if send_receipt:
        text = campaign_text(session, campaign, locale)
        with force_locale(locale):
            subject = gettext("Your signature is deleted: %(title)s", title=text.title)
        enqueue_email(
            session,
            recipient=receipt.email,
            subject=subject,
            template="deleted",
            context={
                "campaign": email_campaign(text),
                "was_counted": was_counted,
                "campaign_url": public_url_for("signing.show", slug=campaign.slug),
            },
            now=now,
            locale=locale,
        )
    session.flush()
    signals.signature_deleted.send(
        campaign.id,
        session=session,
        signature_ids=[signature_id, *duplicates],
        reason="erased",
        now=now,
    )
    log.info(
        "Signature %s deleted at its supporter's request (campaign %s, %s)",
        signature_id,
        campaign.slug,
        status,
    )
    return receipt


def erase_signatures_of(
    session: DbSession,
    address: str,
    *,
    now: datetime,
    tally_shards: int,
    campaign_id: int | None = None,
) -> list[ErasureReceipt]:
    """Delete every signature of one email address (on one campaign, or on all): for an
    erasure request that arrives by letter or email rather than through the link."""
    query = select(Signature).where(
        rows_of_person(
            declaration_of(Signature.__tablename__),
            address=address.strip(),
            normalised=normalise_email(address),
        )
    )
    if campaign_id is not None:
        query = query.where(Signature.campaign_id == campaign_id)
    found = session.scalars(query.order_by(Signature.id)).all()
    ids = {signature.id for signature in found}
    receipts = []
    for signature in found:
        if signature.duplicate_of_id in ids:
            continue  # erased with the signature it duplicates
        # One receipt per mailbox: a duplicate left on its own goes without one.
        receipt = signature.status != SignatureStatus.DUPLICATE
        receipts.append(
            erase_signature(
                session, signature, now=now, tally_shards=tally_shards, send_receipt=receipt
            )
        )
    return receipts


def _count_erasure(session: DbSession, campaign_id: int, now: datetime, *, confirmed: bool) -> None:
    insert = dialect_insert(session)
    column = "confirmed_erased" if confirmed else "pending_erased"
    statement = insert(ErasureCount).values(
        campaign_id=campaign_id,
        day=now.date(),
        confirmed_erased=1 if confirmed else 0,
        pending_erased=0 if confirmed else 1,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["campaign_id", "day"],
            set_={column: getattr(ErasureCount, column) + 1},
        )
    )


def erasures_by_day(session: DbSession, campaign_id: int) -> list[tuple[str, int, int]]:
    """(day, confirmed, pending) deletions for a campaign, oldest first, for organisers."""
    rows = session.execute(
        select(ErasureCount.day, ErasureCount.confirmed_erased, ErasureCount.pending_erased)
        .where(ErasureCount.campaign_id == campaign_id)
        .order_by(ErasureCount.day)
    ).all()
    return [(day.isoformat(), confirmed, pending) for day, confirmed, pending in rows]


def total_erased(session: DbSession, campaign_id: int) -> int:
    """Confirmed signatures deleted by their supporters on this campaign, all days together."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ErasureCount.confirmed_erased), 0)).where(
                ErasureCount.campaign_id == campaign_id
            )
        )
        or 0
    )
