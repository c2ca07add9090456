"""Webhook endpoints: added (with the address checked), listed, disabled, their secret
rotated. Plain functions over a session; they flush but never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from campaign.audit.services import COMMAND_LINE, Actor, record_event
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.outbox.models import OutboxStatus
from campaign.webhooks.models import WebhookEndpoint, WebhookMessage
from campaign.webhooks.signing import new_secret
from campaign.webhooks.transport import resolve

# How long a rotated-out secret still signs, beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)


def _audit(
    session: DbSession, action: str, endpoint: WebhookEndpoint, actor: Actor | None, now: datetime
) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        campaign_id=endpoint.campaign_id,
        details={"endpoint": endpoint.id, "url": endpoint.url[:200]},
        now=now,
    )


def add_endpoint(
    session: DbSession,
    campaign: Campaign,
    url: str,
    *,
    allow_private: bool,
    actor: Actor | None,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, in the audit log (`actor` None: the command line). The
    URL must be http(s) and resolve to public addresses only (unless `allow_private`): raises
    transport.UnsafeUrl otherwise."""
    url = url.strip()
    resolve(url, allow_private=allow_private)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        campaign_id=campaign.id,
        url=url,
        secret=secret,
        active=True,
        created_at=now,
        created_by=actor.email if actor is not None else COMMAND_LINE,
    )
    session.add(endpoint)
    session.flush()
    _audit(session, "webhook.add", endpoint, actor, now)
    return endpoint, secret


def list_endpoints(
    session: DbSession, campaign_id: int | None = None
) -> list[tuple[WebhookEndpoint, str]]:
    """Endpoints (of one campaign, or all), newest first, each with its campaign's slug."""
    query = (
        select(WebhookEndpoint, Campaign.slug)
        .join(Campaign, Campaign.id == WebhookEndpoint.campaign_id)
        .order_by(WebhookEndpoint.id.desc())
    )
    if campaign_id is not None:
        query = query.where(WebhookEndpoint.campaign_id == campaign_id)
    return [(endpoint, slug) for endpoint, slug in session.execute(query).all()]


def set_active(
    session: DbSession,
    endpoint: WebhookEndpoint,
    active: bool,
    *,
    actor: Actor | None,
    now: datetime,
) -> None:
    """Disable an endpoint (nothing more is queued for it, and what is queued is not sent),
    or enable it again; in the audit log."""
    endpoint.active = active
    endpoint.disabled_at = None if active else now
    session.flush()
    _audit(session, "webhook.enable" if active else "webhook.disable", endpoint, actor, now)


def rotate_secret(
    session: DbSession, endpoint: WebhookEndpoint, *, actor: Actor | None, now: datetime
) -> str:
    """A new secret; the previous one keeps signing beside it for ROTATION_OVERLAP, so the
    receiver can switch without losing an event. In the audit log."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    session.flush()
    _audit(session, "webhook.rotate", endpoint, actor, now)
    return endpoint.secret


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets to sign with now: the current one, and the previous during a rotation."""
    in_use = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until is not None
        and now < endpoint.previous_secret_until
    ):
        in_use.append(endpoint.previous_secret)
    return in_use


def delivery_log(session: DbSession, endpoint_id: int, limit: int = 100) -> list[WebhookMessage]:
    """The endpoint's events, newest first: time, event, status, attempts, last error."""
    return list(
        session.scalars(
            select(WebhookMessage)
            .where(WebhookMessage.payload["endpoint_id"].as_integer() == endpoint_id)
            .order_by(WebhookMessage.id.desc())
            .limit(limit)
        ).all()
    )


def redeliver(session: DbSession, endpoint_id: int, message_id: int, *, now: datetime) -> bool:
    """Send an event of this endpoint again, with the same webhook-id, and a new day of
    retries; False if the endpoint has no such event."""
    message = session.get(WebhookMessage, message_id)
    if message is None or (message.payload or {}).get("endpoint_id") != endpoint_id:
        return False
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now
    message.lease_expires_at = None
    message.created_at = now  # the give-up time counts from here
    session.flush()
    return True
