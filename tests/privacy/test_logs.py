"""Logs never hold an email address, a name, a token or an IP address in clear: a whole
supporter journey with logging at DEBUG, searched for each of them."""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from flask import Flask

from campaign.mail.delivery import SmtpTransport
from campaign.signing.models import Signature
from tests.factories import sign
from tests.helpers import confirmation_path, count_rows, deliver, manage_path
from tests.smtp import SmtpServer

FIRST_NAME = "Wilhelmina"
LAST_NAME = "Quackenbush-Ørsted"
EMAIL = "W.Quackenbush+petition@Example.org"
DELIVERED = "W.Quackenbush+petition@example.org"  # the domain in its IDNA (ASCII) form
CLIENT_IP = "203.0.113.77"  # TEST-NET-3: appears nowhere else in a run

ANSI_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # the development server colours its lines
# The loopback SMTP server stands in for the email provider: its own log is not ours.
NOT_OURS = ("mail.log", "asyncio")


def our_log(records: list[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        if record.name.startswith(NOT_OURS):
            continue
        lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")
    return ANSI_COLOURS.sub("", "\n".join(lines))


def assert_nothing_personal(log: str, secrets: list[str]) -> None:
    lowered = log.lower()
    for secret in secrets:
        assert secret.lower() not in lowered, f"{secret!r} is in the log"


def test_signing_confirming_unsubscribing_and_deleting_logs_no_address_name_token_or_ip(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_app.config["LOG_LEVEL"] = "DEBUG"
    caplog.set_level(logging.DEBUG)
    client = smtp_app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_IP
    smtp = SmtpTransport(timeout=5)
    form = {"first_name": FIRST_NAME, "last_name": LAST_NAME, "email": EMAIL, "opt_in": "y"}

    # A mistake first (the form comes back with what was typed), then the real signature.
    assert sign(client, campaign, **{**form, "country": "XX"}).status_code == 422
    assert sign(client, campaign, **form).status_code == 303
    deliver(smtp_app, smtp)
    confirm = confirmation_path(smtp_app)
    unsubscribe = manage_path(smtp_app, "unsubscribe")
    delete = manage_path(smtp_app, "delete")
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 200
    assert client.get(unsubscribe).status_code == 200
    one_click = smtp_app.test_client(use_cookies=False)
    one_click.environ_base["REMOTE_ADDR"] = CLIENT_IP
    assert one_click.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert sign(client, campaign, **form).status_code == 303  # "already signed"
    smtp_server.refuse(DELIVERED, "451 4.2.1 mailbox busy, try " + EMAIL + " later")
    deliver(smtp_app, smtp)  # refused for now: the reply quotes the address
    smtp_server.handler.replies.clear()
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 200
    assert client.post(delete).status_code == 404
    assert client.post(confirm).status_code == 404
    deliver(smtp_app, smtp, now_offset=timedelta(minutes=5))  # the retry, and the receipt
    result = smtp_app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0
    assert count_rows(smtp_app, Signature) == 0
    # The confirmation and the receipt; the refused "already signed" went with the signature.
    assert len(smtp_server.received) == 2

    log = our_log(caplog.records)
    for event in ("unsubscribed from news", "will be retried", "deleted at its supporter's"):
        assert event in log  # the log did capture our records
    tokens = [path.rsplit("/", 1)[1] for path in (confirm, unsubscribe, delete)]
    manage_key = tokens[1].split(".")[0]
    assert_nothing_personal(
        log,
        [
            EMAIL,
            "quackenbush+petition@example.org",
            FIRST_NAME,
            LAST_NAME,
            *tokens,
            manage_key,
            CLIENT_IP,
        ],
    )


def test_the_development_servers_request_log_has_no_client_address_or_token(
    app: Flask, campaign: str, dev_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sign(app.test_client(), campaign, email=EMAIL)
    paths = [confirmation_path(app), manage_path(app, "unsubscribe"), manage_path(app, "delete")]

    for path in [*paths, f"/campaigns/{campaign}?email={EMAIL}"]:
        urllib.request.urlopen(dev_server + path, timeout=5).read()  # noqa: S310 (loopback)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(dev_server + "/delete/made-up-token", timeout=5)  # noqa: S310

    requests = [r for r in caplog.records if r.name == "werkzeug"]
    assert len(requests) == 5
    log = our_log(requests)
    assert '"GET /confirm/<token> HTTP/1.1" 200' in log
    assert '"GET /unsubscribe/<token> HTTP/1.1" 200' in log
    assert '"GET /delete/<token> HTTP/1.1" 404' in log
    assert_nothing_personal(
        log, ["127.0.0.1", EMAIL, "made-up-token", *[p.rsplit("/", 1)[1] for p in paths]]
    )
