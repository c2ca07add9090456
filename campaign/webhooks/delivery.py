"""The outbox's 'webhook' kind: each message POSTed to its endpoint, signed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app

from campaign.database import utcnow
from campaign.extensions import db
from campaign.outbox.delivery import Claimed, PermanentFailure, Policy, TemporaryFailure
from campaign.outbox.registry import register_sender
from campaign.webhooks.endpoints import secrets_in_use
from campaign.webhooks.events import KIND, confirmed_data
from campaign.webhooks.models import WebhookEndpoint
from campaign.webhooks.signing import signature_header
from campaign.webhooks.transport import DeliveryFailed, UnsafeUrl, post


def event_body(payload: Mapping[str, Any], data: Mapping[str, Any]) -> bytes:
    event = {"type": payload["type"], "timestamp": payload["timestamp"], "data": data}
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


class WebhookSender:
    """Sends one event at a time; an endpoint that is slow or down only delays its own
    events (the webhook kind has its own worker thread, see campaign/outbox/worker.py)."""

    def __init__(self) -> None:
        config = current_app.config
        self.timeout = float(config["WEBHOOK_TIMEOUT_SECONDS"])
        self.allow_private = bool(config["WEBHOOK_ALLOW_PRIVATE"])

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def send(self, message: Claimed) -> None:
        payload = message.row.get("payload") or {}
        endpoint = db.session.get(WebhookEndpoint, payload.get("endpoint_id"))
        if endpoint is None or not endpoint.active:
            raise PermanentFailure("the endpoint was removed or disabled")
        data = payload["data"]
        if payload["type"] == "signature.confirmed":
            data = confirmed_data(db.session, payload)
            if data is None:
                raise PermanentFailure("the signature was deleted before its event went out")
        body = event_body(payload, data)
        stamp = int(utcnow().timestamp())
        secrets = secrets_in_use(endpoint, utcnow())
        url = endpoint.url
        db.session.rollback()  # no transaction held while the receiver answers
        headers = {
            "webhook-id": message.message_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature_header(secrets, message.message_id, stamp, body),
        }
        try:
            post(url, body, headers, timeout=self.timeout, allow_private=self.allow_private)
        except UnsafeUrl as error:
            raise PermanentFailure(f"refused: {error}") from error
        except DeliveryFailed as error:
            raise TemporaryFailure(str(error)) from error


def webhook_policy(config: Mapping[str, Any]) -> Policy:
    return Policy(
        batch_size=20,
        lease_seconds=max(60, int(float(config["WEBHOOK_TIMEOUT_SECONDS"]) * 20 + 30)),
        retry_cap_seconds=float(config["WEBHOOK_RETRY_MAX_SECONDS"]),
        give_up_after=timedelta(hours=int(config["WEBHOOK_GIVE_UP_HOURS"])),
        poll_seconds=float(config["MAIL_POLL_SECONDS"]),
    )


register_sender(KIND, WebhookSender, policy=webhook_policy)
