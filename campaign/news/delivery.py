"""The outbox's 'news' kind: each supporter's copy is written when it is sent, and only if
they may still receive news; the signal subscribers that stop queued copies.

A kind of its own, not email with a priority: it has its own worker thread (so a backlog of
100,000 news emails never stands in front of a confirmation, which the 'email' thread
sends as before) and its pace is set when the copies are queued (each has its time slot,
NEWS_SEND_RATE per minute), so no claim or worker had to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.database import DbSession, utcnow
from campaign.extensions import db
from campaign.mail.delivery import ClaimedMessage, Transport, transport_from_config
from campaign.mail.outbox import render_email
from campaign.mail.supporter import list_unsubscribe_headers, manage_links
from campaign.news.models import NEWS_KIND, QUEUE_KIND, NewsMessage
from campaign.news.services import (
    NOT_SENT,
    Text,
    email_context,
    news_texts,
    queue_next_batch,
    stop_queued_news,
    text_for,
)
from campaign.outbox.delivery import Claimed, PermanentFailure, Policy
from campaign.outbox.registry import register_sender
from campaign.signing.models import Signature, receives_news_clause


class NewsSender:
    """Writes each supporter's copy from the signature as it is now, and hands it to the
    email transport (SMTP, or .eml files). One per batch: the texts are read once."""

    def __init__(self, transport: Transport, session: DbSession) -> None:
        self.transport = transport
        self.session = session
        self._texts: dict[int, tuple[Campaign, dict[str, Text]]] = {}

    def open(self) -> None:
        self.transport.open()

    def _news(self, news_id: int) -> tuple[Campaign, dict[str, Text]]:
        if news_id not in self._texts:
            news = self.session.get(NewsMessage, news_id)
            campaign = self.session.get(Campaign, news.campaign_id) if news else None
            if news is None or campaign is None:
                raise PermanentFailure("the news was deleted")
            self._texts[news_id] = (campaign, news_texts(self.session, news_id))
        return self._texts[news_id]

    def send(self, message: Claimed) -> None:
        signature_id = message.row["signature_id"]
        # Checked again now, however long ago it was queued: an unsubscribe, a deletion
        # or a clean-up since then means this copy never leaves.
        signature = (
            None
            if signature_id is None
            else self.session.scalar(
                select(Signature).where(Signature.id == signature_id).where(receives_news_clause())
            )
        )
        if signature is None or signature.manage_key is None:
            raise PermanentFailure(NOT_SENT)
        campaign, texts = self._news(message.row["news_id"])
        if not texts:
            raise PermanentFailure("the news has no text")
        locale, text = text_for(texts, signature.locale, campaign.locale)
        links = manage_links(signature.manage_key, locale)
        context = email_context(
            self.session,
            campaign,
            text,
            locale,
            first_name=signature.first_name,
            manage=links.as_context(),
        )
        body_text, body_html = render_email("news", context, locale)
        self.transport.send(
            ClaimedMessage(
                id=message.id,
                attempts=message.attempts,
                recipient=signature.email,
                subject=text.subject,
                message_id=message.message_id,
                template=None,
                context=None,
                locale=locale,
                body_text=body_text,
                body_html=body_html,
                headers=list_unsubscribe_headers(links),
            )
        )

    def close(self) -> None:
        self.transport.close()


def news_sender_from_config() -> NewsSender:
    return NewsSender(transport_from_config(), db.session)


def news_policy(config: Mapping[str, Any]) -> Policy:
    """Email's settings, with batches no bigger than a minute's worth of news."""
    return Policy(
        batch_size=max(1, min(int(config["MAIL_BATCH_SIZE"]), int(config["NEWS_SEND_RATE"]))),
        lease_seconds=config["MAIL_LEASE_SECONDS"],
        retry_cap_seconds=config["MAIL_RETRY_MAX_SECONDS"],
        give_up_after=timedelta(hours=config["MAIL_GIVE_UP_HOURS"]),
        poll_seconds=config["MAIL_POLL_SECONDS"],
    )


register_sender(NEWS_KIND, news_sender_from_config, policy=news_policy)


class RecipientQueuer:
    """The outbox's sender for 'news_queue': queues every recipient of one piece of news,
    a batch per transaction (signing and confirming go on in between), then returns, and
    the message is settled as sent."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    def open(self) -> None:
        pass

    def send(self, message: Claimed) -> None:
        news_id = int((message.row["payload"] or {})["news_id"])
        config = current_app.config
        while queue_next_batch(
            self.session,
            news_id,
            now=utcnow(),
            batch_size=config["NEWS_QUEUE_BATCH"],
            rate_per_minute=config["NEWS_SEND_RATE"],
        ):
            self.session.commit()
        self.session.commit()

    def close(self) -> None:
        pass


def queue_policy(config: Mapping[str, Any]) -> Policy:
    """One piece of news at a time, with a lease long enough to queue a million people."""
    return Policy(
        batch_size=1,
        lease_seconds=max(600, int(config["MAIL_LEASE_SECONDS"])),
        retry_cap_seconds=config["MAIL_RETRY_MAX_SECONDS"],
        give_up_after=timedelta(hours=config["MAIL_GIVE_UP_HOURS"]),
        poll_seconds=config["MAIL_POLL_SECONDS"],
    )


register_sender(QUEUE_KIND, lambda: RecipientQueuer(db.session), policy=queue_policy)


@signals.signature_unsubscribed.connect
def _stop_news_of_unsubscribed(
    _campaign_id: int | None, *, session: DbSession, signature_id: int, now: datetime
) -> None:
    stop_queued_news(session, [signature_id])


@signals.signature_invalidated.connect
def _stop_news_of_invalidated(
    _campaign_id: int | None, *, session: DbSession, signature_ids: list[int], now: datetime
) -> None:
    stop_queued_news(session, list(signature_ids))
