"""Adding, listing, disabling webhook endpoints and rotating their secret from the command
line; an address that is not allowed is refused when it is added."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from campaign.webhooks.endpoints import secrets_in_use
from campaign.webhooks.models import WebhookEndpoint


def _add(runner: FlaskCliRunner, slug: str, url: str) -> tuple[int, str]:
    result = runner.invoke(args=["webhooks", "add", slug, url])
    return result.exit_code, result.output


def test_adding_an_endpoint_prints_its_secret_on_the_last_line(
    app: Flask, runner: FlaskCliRunner, campaign: str
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    code, output = _add(runner, campaign, "http://127.0.0.1:8080/hook")

    assert code == 0, output
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and len(secret) > 30
    listing = runner.invoke(args=["webhooks", "list"]).output
    assert campaign in listing and "http://127.0.0.1:8080/hook" in listing and "active" in listing
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == ["webhook.add"]


def test_an_address_on_a_private_network_is_refused_unless_allowed(
    app: Flask, runner: FlaskCliRunner, campaign: str
) -> None:
    for url in ("http://127.0.0.1/hook", "http://10.0.0.7/hook", "ftp://example.org/"):
        code, output = _add(runner, campaign, url)
        assert code == 1 and "Refused" in output
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    code, output = _add(runner, campaign, "http://169.254.169.254/latest/")
    assert code == 1 and "metadata" in output
    with app.app_context():
        assert db.session.scalars(select(WebhookEndpoint)).all() == []


def test_disable_enable_and_rotate(
    app: Flask, runner: FlaskCliRunner, campaign: str, make_app: Callable[..., Flask]
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    first = _add(runner, campaign, "http://127.0.0.1:8080/hook")[1].strip().splitlines()[-1]
    endpoint_id = runner.invoke(args=["webhooks", "list"]).output.split("\t")[0]

    assert "disabled" in runner.invoke(args=["webhooks", "disable", endpoint_id]).output
    assert "disabled" in runner.invoke(args=["webhooks", "list"]).output
    assert "active" in runner.invoke(args=["webhooks", "enable", endpoint_id]).output
    rotated = runner.invoke(args=["webhooks", "rotate", endpoint_id]).output.strip().splitlines()
    second = rotated[-1]

    assert second.startswith("whsec_") and second != first
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, int(endpoint_id))
        assert endpoint is not None
        assert secrets_in_use(endpoint, utcnow()) == [second, first]
        assert endpoint.previous_secret_until is not None
        assert secrets_in_use(endpoint, endpoint.previous_secret_until) == [second]
    assert runner.invoke(args=["webhooks", "disable", "999999"]).exit_code == 1
