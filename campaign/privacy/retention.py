"""Keeping nothing longer than needed: the daily purge, and when each campaign's signatures
are anonymised (and an admin's recorded postponement of it).

`purge` is safe to run twice, or at any time: every step selects only what is due now.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.database import DbSession, rowcount
from campaign.mail.models import EMAIL_KIND, OutboxMessage, OutboxStatus
from campaign.outbox.models import OutboxMessage as QueuedMessage
from campaign.personal_data import (
    anonymise_rows_of_signatures,
    anonymised_values,
    declaration_of,
    erase_rows_of_signatures,
)
from campaign.privacy.models import AnonymisationPostponement
from campaign.signing.models import Signature, SignatureStatus

log = logging.getLogger(__name__)


class PostponementInvalid(Exception):
    """A postponement needs a reason and a date in the future."""


@dataclass(frozen=True)
class RetentionPolicy:
    pending_days: int  # unconfirmed signatures
    outbox_days: int  # emails, once delivered or given up on
    anonymise_months: int  # signatures, after their campaign closes


@dataclass
class PurgeReport:
    pending_deleted: int = 0
    emails_deleted: int = 0
    signatures_anonymised: int = 0
    campaigns_anonymised: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnonymisationSchedule:
    """When a campaign's signatures lose their personal fields, and why then."""

    closes_at: datetime | None
    # closes_at + the retention period, or the postponement if later; None: not while the
    # campaign has no closing date.
    anonymise_at: datetime | None
    postponed_until: datetime | None
    postponement_reason: str | None

    def is_due(self, now: datetime) -> bool:
        return self.anonymise_at is not None and self.anonymise_at <= now


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def latest_postponement(session: DbSession, campaign_id: int) -> AnonymisationPostponement | None:
    return session.scalar(
        select(AnonymisationPostponement)
        .where(AnonymisationPostponement.campaign_id == campaign_id)
        .order_by(AnonymisationPostponement.recorded_at.desc(), AnonymisationPostponement.id.desc())
        .limit(1)
    )


def anonymisation_schedule(
    session: DbSession, campaign: Campaign, anonymise_months: int
) -> AnonymisationSchedule:
    """When this campaign's signatures will be anonymised: for the organisers' dashboard."""
    postponement = latest_postponement(session, campaign.id)
    anonymise_at = None
    if campaign.closes_at is not None:
        anonymise_at = add_months(campaign.closes_at, anonymise_months)
        if postponement is not None and postponement.postponed_until > anonymise_at:
            anonymise_at = postponement.postponed_until
    return AnonymisationSchedule(
        closes_at=campaign.closes_at,
        anonymise_at=anonymise_at,
        postponed_until=postponement.postponed_until if postponement else None,
        postponement_reason=postponement.reason if postponement else None,
    )


def postpone_anonymisation(
    session: DbSession,
    campaign: Campaign,
    *,
    until: datetime,
    reason: str,
    recorded_by: str | None,
    now: datetime,
) -> AnonymisationPostponement:
    """Record an admin's decision to keep this campaign's signatures until `until`.

    The newest postponement is in force; earlier ones stay as the record. It can only move
    the date later than the retention period would: it never anonymises earlier.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise PostponementInvalid("a postponement needs a reason")
    if len(reason) > 500:
        raise PostponementInvalid("the reason must be at most 500 characters")
    if until <= now:
        raise PostponementInvalid("the new date must be in the future")
    by = " ".join((recorded_by or "").split())[:100] or None
    postponement = AnonymisationPostponement(
        campaign_id=campaign.id,
        postponed_until=until,
        reason=reason,
        recorded_by=by,
        recorded_at=now,
    )
    session.add(postponement)
    session.flush()
    log.info("Anonymisation of campaign %s postponed until %s", campaign.slug, until.isoformat())
    return postponement


def purge(session: DbSession, *, now: datetime, policy: RetentionPolicy) -> PurgeReport:
    """Delete and anonymise what is past its time. Flushes; the caller commits."""
    report = PurgeReport()
    _delete_stale_pending(session, now, policy.pending_days, report)
    for campaign in session.scalars(select(Campaign).order_by(Campaign.id)).all():
        if anonymisation_schedule(session, campaign, policy.anonymise_months).is_due(now):
            _anonymise_campaign(session, campaign, now, report)
    report.emails_deleted += _delete_old_emails(session, now, policy.outbox_days)
    _delete_old_deliveries(session, now, policy.outbox_days)
    session.flush()
    log.info(
        "Purge: %s unconfirmed signatures deleted, %s signatures anonymised, %s emails deleted",
        report.pending_deleted,
        report.signatures_anonymised,
        report.emails_deleted,
    )
    return report


def _delete_stale_pending(
    session: DbSession, now: datetime, days: int, report: PurgeReport
) -> None:
    """Unconfirmed signatures older than `days` whose newest link has expired: a link we sent
    keeps working until it expires, so the row must too."""
    stale = and_(
        Signature.status == SignatureStatus.PENDING,
        Signature.signed_at <= now - timedelta(days=days),
        or_(
            Signature.confirmation_expires_at.is_(None),
            Signature.confirmation_expires_at <= now,
        ),
    )
    _purge_pending(session, stale, None, now, report)


def _anonymise_campaign(
    session: DbSession, campaign: Campaign, now: datetime, report: PurgeReport
) -> None:
    """Remove names, addresses, postcodes and hashes; keep country, day, source and opt-in.

    Times are cut to the day, so a signature cannot be matched with an email provider's or
    a proxy's log of the same minute. Unconfirmed signatures go altogether.
    """
    of_campaign = and_(Signature.campaign_id == campaign.id, Signature.anonymised_at.is_(None))
    dialect = session.get_bind().dialect.name

    def cut_to_day(column: Any) -> ColumnElement[Any]:
        return _start_of_day(column, dialect)

    # What other tables hold about these signatures goes first (as the registry declares;
    # the outbox: deleted), then the unconfirmed signatures, then the personal columns.
    changed = anonymise_rows_of_signatures(
        session, select(Signature.id).where(of_campaign), cut_to_day
    )
    report.emails_deleted += changed.get(OutboxMessage.__tablename__, 0)
    pending = of_campaign & (Signature.status == SignatureStatus.PENDING)
    _purge_pending(session, pending, campaign.id, now, report)
    values = anonymised_values(
        declaration_of(Signature.__tablename__), cut_to_day, anonymised_at=now
    )
    anonymised = rowcount(session, update(Signature).where(of_campaign).values(values))
    if anonymised:
        report.signatures_anonymised += anonymised
        report.campaigns_anonymised.append(campaign.slug)
        log.info("Campaign %s: %s signatures anonymised", campaign.slug, anonymised)


def _delete_old_emails(session: DbSession, now: datetime, days: int) -> int:
    """Delivered or failed emails (their bodies name people) once `days` old, and at once
    those that belong to no signature any more (the receipt of a deletion)."""
    finished = OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED])
    old = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) <= now - timedelta(
        days=days
    )
    return rowcount(
        session,
        delete(OutboxMessage).where(finished).where(or_(old, OutboxMessage.signature_id.is_(None))),
    )


def _delete_old_deliveries(session: DbSession, now: datetime, days: int) -> None:
    """Delivered or failed messages of the other kinds (webhooks: identifiers only) once
    `days` old, so their delivery log does not grow for ever."""
    table = cast(Table, QueuedMessage.__table__)
    session.execute(
        delete(table)
        .where(table.c.kind != EMAIL_KIND)
        .where(table.c.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]))
        .where(func.coalesce(table.c.sent_at, table.c.created_at) <= now - timedelta(days=days))
    )


def _purge_pending(
    session: DbSession,
    which: ColumnElement[bool],
    campaign_id: int | None,
    now: datetime,
    report: PurgeReport,
) -> None:
    """Delete these unconfirmed signatures, and first what other tables hold about them;
    counted in the report, and told to subscribers (signature_deleted, reason "purged")."""
    report.emails_deleted += _erase_rows_of(session, which)
    gone = session.scalars(
        delete(Signature).where(which).returning(Signature.id),
        execution_options={"synchronize_session": False},
    ).all()
    report.pending_deleted += len(gone)
    if gone:  # a purge that deleted nothing tells no one
        signals.signature_deleted.send(
            campaign_id, session=session, signature_ids=list(gone), reason="purged", now=now
        )


def _erase_rows_of(session: DbSession, signatures: ColumnElement[bool]) -> int:
    """Erase what other tables hold about these signatures (before they are deleted); how
    many emails went."""
    dialect = session.get_bind().dialect.name
    changed = erase_rows_of_signatures(
        session,
        select(Signature.id).where(signatures),
        lambda column: _start_of_day(column, dialect),
    )
    return changed.get(OutboxMessage.__tablename__, 0)


def _start_of_day(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        # In UTC whatever the session's time zone: timezone('UTC', …) both ways.
        return func.timezone("UTC", func.date_trunc("day", func.timezone("UTC", column)))
    # SQLite keeps UTC times as text, "YYYY-MM-DD HH:MM:SS.ffffff".
    return func.substr(column, 1, 10, type_=String) + " 00:00:00.000000"
