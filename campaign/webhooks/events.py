"""What happens to signatures, as webhook events: each state change's signal writes one
outbox message per active endpoint of the campaign, in the change's own transaction, so
nothing is sent for a change rolled back and nothing is lost in a crash.

Events (the body is `{"type", "timestamp", "data"}`, as Standard Webhooks suggests):

- `signature.confirmed`: `data` is the API's signature resource (docs/api.md), read when
  the event is sent: the outbox row holds identifiers only, so no personal data is kept
  in it, and a signature deleted before its event went out is never sent.
- `signature.unsubscribed`, `signature.deleted`: identifiers only (the signature's and the
  petition's): no personal data leaves after a person withdrew.
- `webhook.test`: sent on an organiser's request, to try an endpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from campaign import signals
from campaign.api.services import osdi_time, signature_identifier, signature_resource
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.links import public_url_for
from campaign.outbox.queue import enqueue, new_message_id
from campaign.signing.models import Signature
from campaign.webhooks.models import WebhookEndpoint

KIND = "webhook"  # WebhookMessage's polymorphic identity


def _endpoints(session: DbSession, campaign_id: int) -> list[int]:
    return list(
        session.scalars(
            select(WebhookEndpoint.id)
            .where(WebhookEndpoint.campaign_id == campaign_id)
            .where(WebhookEndpoint.active.is_(True))
        ).all()
    )


def _has_endpoints(session: DbSession, campaign_id: int) -> bool:
    """Whether the campaign has an active endpoint, from the process's short-lived copy
    (TALLY_CACHE_SECONDS), so that a confirmation on a campaign without webhooks costs no
    query. An endpoint added in another process is seen within those seconds; the process
    that adds one forgets the copy at once (`forget_endpoints`)."""
    cache = current_app.extensions["campaign_page_cache"]
    found: bool = cache.get(
        ("webhook-endpoints", campaign_id), lambda: bool(_endpoints(session, campaign_id))
    )
    return found


def forget_endpoints() -> None:
    """After endpoints change: the next event reads them afresh in this process."""
    current_app.extensions["campaign_page_cache"].clear()


def queue_event(
    session: DbSession,
    campaign_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    now: datetime,
    endpoint_ids: list[int] | None = None,
    signature_id: int | None = None,
) -> list[str]:
    """One outbox message per active endpoint of the campaign (or those given); their ids.

    `data` must hold no personal data (identifiers only): a `signature.confirmed` event
    names its signature (`signature_id`) and the sender reads the rest when it sends.
    """
    ids = _endpoints(session, campaign_id) if endpoint_ids is None else endpoint_ids
    queued = []
    for endpoint_id in ids:
        message_id = new_message_id()
        payload = {
            "endpoint_id": endpoint_id,
            "type": event_type,
            "timestamp": osdi_time(now),
            "data": data,
            "signature_id": signature_id,
        }
        enqueue(session, KIND, payload=payload, now=now, message_id=message_id)
        queued.append(message_id)
    return queued


def queue_test_event(session: DbSession, endpoint: WebhookEndpoint, *, now: datetime) -> str:
    """A `webhook.test` event for one endpoint, on an organiser's request; its message id."""
    data = {"petition": _petition(endpoint.campaign_id, session), "test": True}
    [message_id] = queue_event(
        session, endpoint.campaign_id, "webhook.test", data, now=now, endpoint_ids=[endpoint.id]
    )
    return message_id


def _petition(campaign_id: int, session: DbSession) -> str:
    slug = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
    return f"campaign:{slug}"


def _identifiers(session: DbSession, campaign_id: int, signature_id: int) -> dict[str, Any]:
    return {
        "identifiers": [signature_identifier(signature_id)],
        "petition": _petition(campaign_id, session),
    }


@signals.signature_confirmed.connect
def _on_confirmed(
    campaign_id: int, *, session: DbSession, signature_id: int, now: datetime, **_: Any
) -> None:
    if not _has_endpoints(session, campaign_id):
        return
    suspect = session.scalar(select(Signature.suspect).where(Signature.id == signature_id))
    if suspect is not False:
        return  # a suspect signature is not counted, nor announced
    data = _identifiers(session, campaign_id, signature_id)
    queue_event(
        session, campaign_id, "signature.confirmed", data, now=now, signature_id=signature_id
    )


def confirmed_data(session: DbSession, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The signature resource of a `signature.confirmed` event, read now; None once the
    signature is gone (deleted by its supporter: nothing about them is sent)."""
    signature = session.get(Signature, payload.get("signature_id"))
    if signature is None:
        return None
    slug = str(payload["data"]["petition"]).removeprefix("campaign:")
    return signature_resource(
        signature, {"osdi:petition": public_url_for("api.petition", slug=slug)}
    )


@signals.signature_unsubscribed.connect
def _on_unsubscribed(
    campaign_id: int, *, session: DbSession, signature_id: int, now: datetime, **_: Any
) -> None:
    data = _identifiers(session, campaign_id, signature_id)
    queue_event(session, campaign_id, "signature.unsubscribed", data, now=now)


@signals.signature_deleted.connect
def _on_deleted(
    campaign_id: int | None,
    *,
    session: DbSession,
    signature_ids: list[int],
    now: datetime,
    **_: Any,
) -> None:
    if campaign_id is None:
        return  # the purge of stale unconfirmed signatures: never announced as confirmed
    _queue_deletions(session, campaign_id, signature_ids, now)


@signals.signature_invalidated.connect
def _on_invalidated(
    campaign_id: int, *, session: DbSession, signature_ids: list[int], now: datetime, **_: Any
) -> None:
    # Removed from the count by an organiser: for a CRM, as good as deleted.
    _queue_deletions(session, campaign_id, signature_ids, now)


def _queue_deletions(
    session: DbSession, campaign_id: int, signature_ids: list[int], now: datetime
) -> None:
    """`signature.deleted` for each signature, reading the endpoints and the campaign once
    (a clean-up may remove thousands in one go, on a campaign that has no webhooks)."""
    endpoint_ids = _endpoints(session, campaign_id) if signature_ids else []
    if not endpoint_ids:
        return
    petition = _petition(campaign_id, session)
    for signature_id in signature_ids:
        data = {"identifiers": [signature_identifier(signature_id)], "petition": petition}
        queue_event(
            session, campaign_id, "signature.deleted", data, now=now, endpoint_ids=endpoint_ids
        )
