"""A subject access request: everything held about one email address, in one document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.identity import normalise_email
from campaign.mail.models import OutboxMessage
from campaign.mail.outbox import render_email
from campaign.signing.consent import wording_for
from campaign.signing.models import Signature


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data_report(session: DbSession, address: str) -> dict[str, Any]:
    """Every signature and every email held for `address`, with what each field is for.

    A signature matches when its address is the same after the normalisation that decides
    "already signed" (case, `+tags`, Gmail's dots), or is the same ignoring case; an email
    matches when it belongs to such a signature or was sent to the address. Anonymised
    signatures hold no address and so match nothing: nothing in them is about anyone.
    """
    address = address.strip()
    signatures = session.scalars(
        select(Signature)
        .where(
            or_(
                Signature.email_normalised == normalise_email(address),
                func.lower(Signature.email) == address.lower(),
            )
        )
        .order_by(Signature.id)
    ).all()
    signature_ids = [signature.id for signature in signatures]
    messages = session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.signature_id.in_(signature_ids),
                func.lower(OutboxMessage.recipient) == address.lower(),
            )
        )
        .order_by(OutboxMessage.id)
    ).all()
    return {
        "address": address,
        "signatures": [_signature_entry(session, signature) for signature in signatures],
        "emails": [
            {
                "id": message.id,
                "signature_id": message.signature_id,
                "recipient": message.recipient,
                "subject": message.subject,
                "status": message.status,
                "category": message.category,
                "created_at": _time(message.created_at),
                "sent_at": _time(message.sent_at),
                "body_text": _text_of(message),
            }
            for message in messages
        ],
        "not_held": (
            "No IP address is stored, only a keyed hash of it (ip_hash) that cannot be "
            "turned back into the address. Tokens in links are stored only as hashes, or "
            "not at all. Counts of deletions per campaign and day hold no personal data."
        ),
    }


def _text_of(message: OutboxMessage) -> str | None:
    """The text of an email as it was or will be sent (queued ones are rendered when sent)."""
    if message.body_text is not None or message.template is None:
        return message.body_text
    return render_email(message.template, message.context or {}, message.locale)[0]


def _signature_entry(session: DbSession, signature: Signature) -> dict[str, Any]:
    campaign = session.get(Campaign, signature.campaign_id)
    wording = wording_for(signature.consent_version)
    return {
        "id": signature.id,
        "campaign": campaign.slug if campaign else None,
        "campaign_title": campaign.title if campaign else None,
        "first_name": signature.first_name,
        "last_name": signature.last_name,
        "email": signature.email,
        "email_normalised": signature.email_normalised,
        "country": signature.country,
        "postcode": signature.postcode,
        "opt_in": signature.opt_in,
        "opt_in_withdrawn_at": _time(signature.opt_in_withdrawn_at),
        "receives_news": signature.receives_news,
        "source": signature.source,
        "status": signature.status,
        "locale": signature.locale,
        "signed_at": _time(signature.signed_at),
        "confirmed_at": _time(signature.confirmed_at),
        "answers": signature.answers,
        "consent_version": signature.consent_version,
        "consent_wording": str(wording.statement) if wording else None,
        "opt_in_wording": str(wording.opt_in_label) if wording else None,
        "ip_hash": signature.ip_hash,
        "confirmation_token_hash": signature.confirmation_token_hash,
        "confirmation_expires_at": _time(signature.confirmation_expires_at),
        "repeat_emails_sent": signature.repeat_emails_sent,
        "manage_key": signature.manage_key,
    }
