"""Admins manage webhooks in the organisers' area, and from the command line: add (secret
shown once), disable, rotate, send a test event, read the delivery log, send again."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.factories import csrf_from
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_events import deliver_webhooks, webhook_rows
from tests.webhooks.test_transport import verify


def _add(client: FlaskClient, slug: str, url: str) -> tuple[int, str]:
    page = client.get("/organiser/webhooks/").get_data(as_text=True)
    response = client.post(
        "/organiser/webhooks/",
        data={"csrf_token": csrf_from(page), "campaign": slug, "url": url},
    )
    return response.status_code, response.get_data(as_text=True)


def _press(client: FlaskClient, page: str, action: str) -> str:
    match = re.search(rf'action="(/organiser/webhooks/\d+/{action})"', page)
    assert match, f"no {action} button"
    response = client.post(match.group(1), data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_admin_adds_an_endpoint_tests_it_and_sees_the_delivery(
    app: Flask, admin_client: FlaskClient, campaign: str, receiver: Receiver
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    status, page = _add(admin_client, campaign, receiver.url)

    assert status == 201
    secret = re.search(r'<code class="api-key">(whsec_[^<]+)</code>', page)
    assert secret
    page = _press(admin_client, page, "test")
    assert "A test event is queued" in page
    assert deliver_webhooks(app).sent == 1
    [got] = receiver.received
    assert json.loads(got.body)["type"] == "webhook.test"
    assert verify(secret.group(1), got.headers, got.body)

    path = re.search(r'action="(/organiser/webhooks/\d+)/test"', page)
    assert path
    log = admin_client.get(path.group(1)).get_data(as_text=True)
    assert "webhook.test" in log and ">sent<" in log
    again = _press(admin_client, log, r"events/\d+/redeliver")
    assert "will be sent again" in again
    assert deliver_webhooks(app).sent == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # the same event


def test_a_private_address_is_refused_in_the_organisers_area(
    admin_client: FlaskClient, campaign: str
) -> None:
    status, page = _add(admin_client, campaign, "http://192.168.1.20/hook")
    assert status == 422 and "This address is refused" in page


def test_disable_and_rotate_from_the_page(
    app: Flask, admin_client: FlaskClient, campaign: str, receiver: Receiver
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    page = _add(admin_client, campaign, receiver.url)[1]
    rotated = _press(admin_client, page, "rotate")
    assert "The new secret" in rotated and "whsec_" in rotated
    disabled = _press(admin_client, rotated, "active")
    assert "Disabled" in disabled


def test_the_command_line_tests_logs_and_redelivers(
    app: Flask, runner: FlaskCliRunner, campaign: str, receiver: Receiver
) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    receiver.statuses = [500]
    runner.invoke(args=["webhooks", "add", campaign, receiver.url])
    endpoint_id = runner.invoke(args=["webhooks", "list"]).output.split("\t")[0]

    assert "queued" in runner.invoke(args=["webhooks", "test", endpoint_id]).output
    deliver_webhooks(app)
    log = runner.invoke(args=["webhooks", "log", endpoint_id]).output
    assert "webhook.test\tpending\t1\tHTTP 500" in log
    event_id = log.split("\t")[0]
    assert runner.invoke(args=["webhooks", "redeliver", endpoint_id, event_id]).exit_code == 0
    assert runner.invoke(args=["webhooks", "redeliver", endpoint_id, "999999"]).exit_code == 1
    assert webhook_rows(app)[0].status == "pending"


def test_only_admins_manage_webhooks(client: FlaskClient) -> None:
    assert client.get("/organiser/webhooks/").status_code == 302
