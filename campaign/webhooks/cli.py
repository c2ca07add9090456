"""`flask webhooks add|list|disable|enable|rotate|test|log|redeliver`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.webhooks.endpoints import (
    add_endpoint,
    delivery_log,
    list_endpoints,
    redeliver,
    rotate_secret,
    set_active,
)
from campaign.webhooks.events import forget_endpoints, queue_test_event
from campaign.webhooks.models import WebhookEndpoint
from campaign.webhooks.transport import UnsafeUrl

webhooks_cli = AppGroup("webhooks", help="Webhook endpoints (docs/api.md).")


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise click.ClickException(f"No webhook endpoint {endpoint_id}.")
    return endpoint


@webhooks_cli.command("add")
@click.argument("slug")
@click.argument("url")
def add_command(slug: str, url: str) -> None:
    """Send campaign SLUG's events to URL; prints the signing secret on the last line."""
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        raise click.ClickException(f"No campaign has the slug {slug!r}.")
    try:
        endpoint, secret = add_endpoint(
            db.session,
            campaign,
            url,
            allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
            actor=None,
            now=utcnow(),
        )
    except UnsafeUrl as error:
        db.session.rollback()
        raise click.ClickException(f"Refused: {error}.") from error
    db.session.commit()
    forget_endpoints()
    click.echo(f"Endpoint {endpoint.id} receives {slug}'s events. Its secret, shown once:")
    click.echo(secret)


@webhooks_cli.command("list")
def list_command() -> None:
    """Every endpoint: id, campaign, state, URL."""
    for endpoint, slug in list_endpoints(db.session):
        state = "active" if endpoint.active else "disabled"
        click.echo(f"{endpoint.id}\t{slug}\t{state}\t{endpoint.url}")


@webhooks_cli.command("disable")
@click.argument("endpoint_id", type=int)
def disable_command(endpoint_id: int) -> None:
    """Stop sending to an endpoint (events queued for it are not sent)."""
    endpoint = _endpoint(endpoint_id)
    set_active(db.session, endpoint, False, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"Endpoint {endpoint.id} is disabled.")


@webhooks_cli.command("enable")
@click.argument("endpoint_id", type=int)
def enable_command(endpoint_id: int) -> None:
    """Send to a disabled endpoint again (from the next event on)."""
    endpoint = _endpoint(endpoint_id)
    set_active(db.session, endpoint, True, actor=None, now=utcnow())
    db.session.commit()
    forget_endpoints()
    click.echo(f"Endpoint {endpoint.id} is active.")


@webhooks_cli.command("rotate")
@click.argument("endpoint_id", type=int)
def rotate_command(endpoint_id: int) -> None:
    """A new secret (printed on the last line); the old one signs too for 24 hours."""
    endpoint = _endpoint(endpoint_id)
    secret = rotate_secret(db.session, endpoint, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"Endpoint {endpoint.id} has a new secret; the previous one works for 24 hours:")
    click.echo(secret)


@webhooks_cli.command("test")
@click.argument("endpoint_id", type=int)
def test_command(endpoint_id: int) -> None:
    """Queue a `webhook.test` event for an endpoint (the mail worker sends it)."""
    endpoint = _endpoint(endpoint_id)
    message_id = queue_test_event(db.session, endpoint, now=utcnow())
    db.session.commit()
    click.echo(f"Test event {message_id} queued for endpoint {endpoint.id}.")


@webhooks_cli.command("log")
@click.argument("endpoint_id", type=int)
def log_command(endpoint_id: int) -> None:
    """An endpoint's recent events: id, time, event, status, attempts, last error."""
    _endpoint(endpoint_id)
    for message in delivery_log(db.session, endpoint_id):
        payload = message.payload or {}
        click.echo(
            f"{message.id}\t{message.created_at:%Y-%m-%d %H:%M:%S}\t{payload.get('type')}\t"
            f"{message.status}\t{message.attempts}\t{message.last_error or ''}"
        )


@webhooks_cli.command("redeliver")
@click.argument("endpoint_id", type=int)
@click.argument("event_id", type=int)
def redeliver_command(endpoint_id: int, event_id: int) -> None:
    """Send an event (its id from `log`) again, with the same webhook-id."""
    _endpoint(endpoint_id)
    if not redeliver(db.session, endpoint_id, event_id, now=utcnow()):
        raise click.ClickException(f"Endpoint {endpoint_id} has no event {event_id}.")
    db.session.commit()
    click.echo(f"Event {event_id} will be sent again.")
