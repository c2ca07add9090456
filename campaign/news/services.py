"""Writing to supporters: drafts, who receives them, sending once, and progress.

Plain functions over a session (they flush, never commit), called by the views, the CLI and
the tests. Queuing is done in batches, each its own transaction (the caller commits between
batches): a send to 100,000 people never holds one long write transaction that would stop
signing and confirming, and an interrupted send resumes where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import (
    Select,
    Table,
    case,
    func,
    insert,
    select,
    update,
)

from campaign.audit.models import AuditEvent
from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import campaign_text
from campaign.database import DbSession
from campaign.mail.outbox import enqueue_email
from campaign.news.models import (
    NEWS_KIND,
    QUEUE_KIND,
    NewsDelivery,
    NewsMessage,
    NewsState,
    NewsText,
)
from campaign.outbox.models import OutboxMessage, OutboxStatus
from campaign.outbox.queue import enqueue
from campaign.signing.models import Signature, receives_news_clause

SUBJECT_MAX = 200
BODY_MAX = 20_000
# The start of `last_error` on a delivery that was not sent because its supporter stopped
# news (or was removed) after Send: not a failure, and counted apart.
NOT_SENT = "not sent: no longer receives news"


class NewsError(Exception):
    """Something an organiser asked cannot be done (the message says what)."""


class AlreadySent(NewsError):
    """The news has been sent (or is being sent): it can no longer change."""


@dataclass(frozen=True)
class Text:
    subject: str
    body: str  # Markdown


def clean_texts(texts: dict[str, Text], languages: list[str], main: str) -> dict[str, Text]:
    """The texts to keep: trimmed, languages we speak only, empty ones dropped. Raises
    NewsError if the main language has no subject or body, or a text is half written."""
    cleaned: dict[str, Text] = {}
    for locale in languages:
        text = texts.get(locale)
        if text is None:
            continue
        subject = " ".join(text.subject.split())
        body = text.body.replace("\r\n", "\n").strip()
        if not subject and not body:
            continue
        if not subject or not body:
            raise NewsError(locale)
        cleaned[locale] = Text(subject[:SUBJECT_MAX], body[:BODY_MAX])
    if main not in cleaned:
        raise NewsError(main)
    return cleaned


def news_texts(session: DbSession, news_id: int) -> dict[str, Text]:
    rows = session.scalars(select(NewsText).where(NewsText.news_id == news_id)).all()
    return {row.locale: Text(row.subject, row.body) for row in rows}


def save_draft(
    session: DbSession,
    campaign: Campaign,
    texts: dict[str, Text],
    *,
    now: datetime,
    news_id: int | None = None,
) -> NewsMessage:
    """Create a draft, or replace the texts of one; raises AlreadySent once Send was
    pressed (the texts supporters are getting never change under them)."""
    if news_id is None:
        news = NewsMessage(campaign_id=campaign.id, state=NewsState.DRAFT, created_at=now)
        session.add(news)
        session.flush()
    else:
        found = session.scalar(
            select(NewsMessage)
            .where(NewsMessage.id == news_id, NewsMessage.campaign_id == campaign.id)
            .with_for_update()
        )
        if found is None:
            raise LookupError(news_id)
        if found.state != NewsState.DRAFT:
            raise AlreadySent(news_id)
        news = found
        news.updated_at = now
    existing = {
        row.locale: row
        for row in session.scalars(select(NewsText).where(NewsText.news_id == news.id))
    }
    for locale, row in existing.items():
        if locale not in texts:
            session.delete(row)
    for locale, text in texts.items():
        current = existing.get(locale)
        if current is None:
            session.add(
                NewsText(news_id=news.id, locale=locale, subject=text.subject, body=text.body)
            )
        else:
            current.subject, current.body = text.subject, text.body
    session.flush()
    return news


def find_news(session: DbSession, campaign: Campaign, news_id: int) -> NewsMessage | None:
    return session.scalar(
        select(NewsMessage).where(NewsMessage.id == news_id, NewsMessage.campaign_id == campaign.id)
    )


def campaign_news(session: DbSession, campaign: Campaign) -> list[NewsMessage]:
    """The campaign's news, newest first."""
    return list(
        session.scalars(
            select(NewsMessage)
            .where(NewsMessage.campaign_id == campaign.id)
            .order_by(NewsMessage.id.desc())
        )
    )


def recipients(campaign_id: int) -> Select[Any]:
    """The signature ids news goes to, in id order: those who may receive news now
    (`receives_news_clause`: confirmed, not suspect, opted in, never unsubscribed, not
    anonymised; deleted ones are gone).

    One per person without a check of its own: a campaign has one signature per normalised
    address (the unique index `uq_signatures_campaign_id_email_normalised`; signing again
    finds the same row), and the other spellings of an address found later are marked
    'duplicate', never confirmed. A NOT EXISTS over the same address would find nothing,
    and cost a look-up per recipient (a scan each, where the planner's statistics lag).
    """
    return (
        select(Signature.id)
        .where(Signature.campaign_id == campaign_id)
        .where(receives_news_clause())
        .order_by(Signature.id)
    )


def count_recipients(session: DbSession, campaign_id: int) -> int:
    """How many people the news would reach if sent now."""
    return session.scalar(select(func.count()).select_from(recipients(campaign_id).subquery())) or 0


def start_sending(session: DbSession, news: NewsMessage, *, now: datetime) -> bool:
    """Move the news from draft to queuing, and ask the workers to queue its recipients;
    True only for the one call that did it.

    A conditional UPDATE: a second click, a form sent again, or two organisers pressing
    Send at the same moment all find it no longer a draft, and queue nothing. The
    recipients are queued by an outbox message of kind 'news_queue' (see news/delivery.py),
    in the worker, batch by batch: a request never spends minutes on 100,000 rows, and a
    worker that dies half way is replaced after its lease, carrying on from the cursor.
    """
    changed = session.execute(
        update(NewsMessage)
        .where(NewsMessage.id == news.id, NewsMessage.state == NewsState.DRAFT)
        .values(state=NewsState.QUEUING, sent_at=now, updated_at=now)
        .returning(NewsMessage.id),
        execution_options={"synchronize_session": False},
    ).scalar()
    session.refresh(news)
    if changed is not None:
        enqueue(session, QUEUE_KIND, payload={"news_id": news.id}, now=now)
    return changed is not None


def queue_next_batch(
    session: DbSession, news_id: int, *, now: datetime, batch_size: int, rate_per_minute: int
) -> bool:
    """Queue the next batch of recipients of news being sent; True if more may remain.

    Locks only the news row (so two requests resuming the same send take turns, and the
    cursor means nobody is queued twice); signatures are read, never locked, so signing
    and confirming go on. Each delivery is given its own time slot, `rate_per_minute`
    apart across every news being sent, following the last one already queued: the
    workers simply send what is due, and the pace holds whatever their number.
    """
    news = session.scalar(select(NewsMessage).where(NewsMessage.id == news_id).with_for_update())
    if news is None or news.state != NewsState.QUEUING:
        return False
    ids: list[int] = list(
        session.scalars(
            recipients(news.campaign_id).where(Signature.id > news.queued_through).limit(batch_size)
        )
    )
    if ids:
        interval = timedelta(seconds=60 / max(1, rate_per_minute))
        table = cast(Table, OutboxMessage.__table__)
        last_slot = session.scalar(
            select(func.max(table.c.next_attempt_at)).where(
                table.c.kind == NEWS_KIND, table.c.status == OutboxStatus.PENDING
            )
        )
        start = now if last_slot is None else max(now, _aware(last_slot) + interval)
        domain = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"
        session.execute(
            insert(table),
            [
                {
                    "kind": NEWS_KIND,
                    "signature_id": signature_id,
                    "news_id": news.id,
                    "message_id": make_msgid(domain=domain),
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": start + interval * position,
                    "created_at": now,
                }
                for position, signature_id in enumerate(ids)
            ],
        )
        news.queued_through = ids[-1]
        news.recipient_count += len(ids)
    if len(ids) < batch_size:
        news.state = NewsState.QUEUED
        news.queued_at = now
        _complete_audit_event(session, news)
    session.flush()
    return news.state == NewsState.QUEUING


def _complete_audit_event(session: DbSession, news: NewsMessage) -> None:
    """The audit log's "news.send" event, written when Send was pressed, gets the number of
    recipients once the last is queued (until then it shows as not completed)."""
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == "news.send")
        .where(AuditEvent.campaign_id == news.campaign_id)
        .where(AuditEvent.completed.is_(False))
        .where(AuditEvent.details["news"].as_integer() == news.id)
        .values(row_count=news.recipient_count, completed=True),
        execution_options={"synchronize_session": False},
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive times (stored as UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stop_queued_news(session: DbSession, signature_ids: list[int]) -> None:
    """News waiting for these supporters is not sent (they stopped news, or were set
    aside): marked so the progress counts them apart from failures."""
    if not signature_ids:
        return
    session.execute(
        update(NewsDelivery)
        .where(NewsDelivery.signature_id.in_(signature_ids))
        .where(NewsDelivery.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error=NOT_SENT),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True)
class Progress:
    recipients: int
    queued: int  # waiting for its time slot, or being sent
    sent: int
    failed: int  # refused by the mail server, or given up
    not_sent: int  # stopped news, or removed, after Send and before their copy left
    unsubscribed_since: int  # of the campaign's supporters, since Send

    @property
    def done(self) -> bool:
        return self.queued == 0


def news_progress(session: DbSession, news: NewsMessage) -> Progress:
    """How far the news has got (read from its deliveries in the outbox: finished ones go
    after RETENTION_OUTBOX_DAYS, and with them these figures, except recipients)."""
    stopped_mark = case((NewsDelivery.last_error == NOT_SENT, 1), else_=0).label("stopped")
    rows = session.execute(
        select(NewsDelivery.status, stopped_mark, func.count())
        .where(NewsDelivery.news_id == news.id)
        .group_by(NewsDelivery.status, stopped_mark)
    ).all()
    counts: dict[str, int] = {}
    stopped = 0
    total = 0
    for status, was_stopped, number in rows:
        total += number
        if status == OutboxStatus.FAILED and was_stopped:
            stopped += number
        else:
            counts[status] = counts.get(status, 0) + number
    unsubscribed = 0
    if news.sent_at is not None:
        unsubscribed = (
            session.scalar(
                select(func.count())
                .select_from(Signature)
                .where(Signature.campaign_id == news.campaign_id)
                .where(Signature.opt_in_withdrawn_at >= news.sent_at)
            )
            or 0
        )
    # Deliveries of a signature deleted since go with it: they were not sent either.
    removed = max(0, news.recipient_count - total) if news.state == NewsState.QUEUED else 0
    return Progress(
        recipients=news.recipient_count,
        queued=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        not_sent=stopped + removed,
        unsubscribed_since=unsubscribed,
    )


def text_for(texts: dict[str, Text], locale: str, main: str) -> tuple[str, Text]:
    """The language and text a supporter gets: theirs, else the campaign's own."""
    if locale in texts:
        return locale, texts[locale]
    if main in texts:
        return main, texts[main]
    first = sorted(texts)[0]
    return first, texts[first]


def email_context(
    session: DbSession, campaign: Campaign, text: Text, locale: str, **extra: Any
) -> dict[str, Any]:
    """What the news email template needs, as plain JSON data."""
    return {
        "campaign": {
            "title": campaign_text(session, campaign, locale).title,
            "slug": campaign.slug,
        },
        "news_subject": text.subject,
        "news_html": str(render_body(text.body)),
        "news_text": text.body,
        **extra,
    }


def send_test(
    session: DbSession,
    campaign: Campaign,
    news: NewsMessage,
    *,
    locale: str,
    recipient: str,
    now: datetime,
) -> str:
    """Queue the news, as a supporter in `locale` would get it, to the organiser's own
    address (marked as a test, without anyone's unsubscribe links); the language used."""
    texts = news_texts(session, news.id)
    if not texts:
        raise NewsError(campaign.locale)
    used, text = text_for(texts, locale, campaign.locale)
    enqueue_email(
        session,
        recipient=recipient,
        subject=text.subject,
        template="news",
        context=email_context(session, campaign, text, used, test=True),
        now=now,
        locale=used,
    )
    return used
