"""Reading back what the app stored and sent, for assertions."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import DeliveryReport, send_due_messages
from campaign.mail.models import OutboxMessage
from campaign.mail.outbox import render_email
from campaign.signing.models import ConfirmationLink, Signature
from campaign.tallies.services import read_tally


def signatures(app: Flask) -> list[Signature]:
    with app.app_context():
        rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
        db.session.expunge_all()
        return list(rows)


def confirmation_links(app: Flask) -> list[ConfirmationLink]:
    with app.app_context():
        rows = db.session.scalars(select(ConfirmationLink).order_by(ConfirmationLink.id)).all()
        db.session.expunge_all()
        return list(rows)


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def count_rows(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def confirmed_count(app: Flask, slug: str) -> int:
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
        assert campaign is not None
        return read_tally(db.session, campaign.id).signature_count


def link_in(body: str, prefix: str = "https://petition.example.org/confirm/") -> str:
    match = re.search(re.escape(prefix) + r"[A-Za-z0-9_\-]+", body)
    assert match, f"no link starting {prefix} in the email"
    return match.group(0)


def email_bodies(app: Flask, message_index: int = -1) -> tuple[str, str]:
    """The text and HTML bodies of an email in the outbox (newest by default), rendered as
    the worker renders them when it sends."""
    message = outbox(app)[message_index]
    with app.app_context():
        if message.template is None:
            return message.body_text or "", message.body_html or ""
        return render_email(message.template, message.context or {}, message.locale)


def render_outbox_text(app: Flask, message: OutboxMessage) -> str:
    with app.app_context():
        if message.template is None:
            return message.body_text or ""
        return render_email(message.template, message.context or {}, message.locale)[0]


def email_text(app: Flask, message_index: int = -1) -> str:
    return email_bodies(app, message_index)[0]


def confirmation_path(app: Flask, message_index: int = -1) -> str:
    """The path of the confirmation link in an email in the outbox (newest by default)."""
    body = email_text(app, message_index)
    return link_in(body).removeprefix("https://petition.example.org")


def deliver(app: Flask, transport: object, now_offset: timedelta = timedelta(0)) -> DeliveryReport:
    with app.app_context():
        try:
            return send_due_messages(
                db.session,
                transport,  # type: ignore[arg-type]
                now=lambda: utcnow() + now_offset,
                batch_size=50,
                lease_seconds=app.config["MAIL_LEASE_SECONDS"],
                retry_cap_seconds=app.config["MAIL_RETRY_MAX_SECONDS"],
                give_up_after=timedelta(hours=app.config["MAIL_GIVE_UP_HOURS"]),
            )
        finally:
            db.session.remove()


def manage_path(app: Flask, purpose: str, message_index: int = -1) -> str:
    """The path of the unsubscribe or delete link (`purpose`) in an email in the outbox."""
    body = email_text(app, message_index)
    prefix = f"https://petition.example.org/{purpose}/"
    match = re.search(re.escape(prefix) + r"[0-9a-f]{32}\.[A-Za-z0-9_\-]{43}", body)
    assert match, f"no {purpose} link in the email"
    return match.group(0).removeprefix("https://petition.example.org")
