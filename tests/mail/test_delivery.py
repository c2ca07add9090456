"""Delivery against a real SMTP server on loopback: once each, retried when it can be,
never lost, never doubled."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.mail.delivery import FileTransport, SmtpTransport, retry_delay
from tests.factories import sign
from tests.helpers import deliver, outbox
from tests.smtp import SmtpServer, free_port


def smtp(app: Flask) -> SmtpTransport:
    return SmtpTransport(timeout=5)


def test_a_confirmation_email_is_delivered_once_with_both_parts_and_proper_headers(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    sign(client, campaign, first_name="Zoë", email="zoe@example.org")

    report = deliver(smtp_app, smtp(smtp_app))

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp_server.received
    assert received.recipients == ["zoe@example.org"]
    message = received.message
    assert message["From"] == "Petition <petition@example.org>"
    assert message["To"] == "zoe@example.org"
    assert "Test campaign" in message["Subject"]
    assert message["Message-ID"] == outbox(smtp_app)[0].message_id
    assert message.is_multipart()
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types
    assert outbox(smtp_app)[0].status == "sent"
    assert outbox(smtp_app)[0].sent_at is not None
    # Nothing is due any more: a second round sends nothing.
    assert deliver(smtp_app, smtp(smtp_app)).claimed == 0
    assert len(smtp_server.received) == 1


def test_an_smtp_outage_delays_email_and_loses_none(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", port
    for n in range(3):
        assert sign(client, campaign, email=f"p{n}@example.org").status_code == 303

    down = deliver(app, smtp(app))  # nothing listens on the port: connection refused

    assert (down.sent, down.retried) == (0, 3)
    assert all(m.status == "pending" and m.attempts == 1 for m in outbox(app))
    assert all(m.last_error and "@" not in m.last_error for m in outbox(app))
    assert deliver(app, smtp(app)).claimed == 0  # backing off: not due yet

    server = SmtpServer(port)
    server.start()
    try:
        later = deliver(app, smtp(app), now_offset=timedelta(minutes=2))
    finally:
        server.stop()
    assert later.sent == 3
    assert sorted(r.recipients[0] for r in server.received) == [
        "p0@example.org",
        "p1@example.org",
        "p2@example.org",
    ]


def test_a_4xx_reply_is_retried_and_a_5xx_reply_fails_for_good(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse("later@example.org", "451 4.3.0 Try again later")
    smtp_server.refuse("nobody@example.org", "550 5.1.1 <nobody@example.org>: no such user")
    sign(client, campaign, email="later@example.org")
    sign(client, campaign, email="nobody@example.org")
    sign(client, campaign, email="fine@example.org")

    report = deliver(smtp_app, smtp(smtp_app))

    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    by_recipient = {m.recipient: m for m in outbox(smtp_app)}
    assert by_recipient["later@example.org"].status == "pending"
    assert by_recipient["nobody@example.org"].status == "failed"
    assert "550" in (by_recipient["nobody@example.org"].last_error or "")
    assert "nobody@example.org" not in (by_recipient["nobody@example.org"].last_error or "")
    assert by_recipient["fine@example.org"].status == "sent"

    smtp_server.handler.replies.clear()
    retried = deliver(smtp_app, smtp(smtp_app), now_offset=timedelta(minutes=2))
    assert retried.sent == 1
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "fine@example.org",
        "later@example.org",
    ]


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_its_lease_runs_out(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    from campaign.database import utcnow
    from campaign.extensions import db
    from campaign.mail.delivery import claim_due_messages

    sign(client, campaign)
    with smtp_app.app_context():
        claimed = claim_due_messages(db.session, utcnow(), 10, lease_seconds=120)
        db.session.commit()  # ... and the worker dies here, before sending
    assert len(claimed) == 1

    assert deliver(smtp_app, smtp(smtp_app)).claimed == 0  # the lease still holds
    later = deliver(smtp_app, smtp(smtp_app), now_offset=timedelta(seconds=121))
    assert later.sent == 1
    assert len(smtp_server.received) == 1
    assert outbox(smtp_app)[0].attempts == 2


def test_several_workers_at_once_send_each_message_exactly_once(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    for n in range(30):
        sign(client, campaign, email=f"w{n}@example.org")
    smtp_app.config["MAIL_BATCH_SIZE"] = 5

    def work() -> None:
        while deliver(smtp_app, smtp(smtp_app)).claimed:
            pass

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recipients = [r.recipients[0] for r in smtp_server.received]
    assert sorted(recipients) == sorted(f"w{n}@example.org" for n in range(30))
    assert all(m.status == "sent" for m in outbox(smtp_app))


def test_without_an_smtp_server_mail_is_written_as_eml_files_and_the_link_logged(
    app: Flask, client: FlaskClient, campaign: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sign(client, campaign)
    caplog.set_level(logging.INFO, logger="campaign.mail.delivery")

    report = deliver(app, FileTransport(tmp_path / "mail", "https://petition.example.org"))

    assert report.sent == 1
    [eml] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject:" in eml.read_bytes()
    assert "https://petition.example.org/confirm/" in caplog.text


def test_flask_mail_send_delivers_what_is_due(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    sign(client, campaign)
    result = smtp_app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp_server.received) == 1


def test_retry_delays_grow_and_are_capped() -> None:
    delays = [retry_delay(attempt, cap_seconds=60) for attempt in range(1, 12)]
    assert all(0 < d <= 60 for d in delays)
    assert retry_delay(1, 60) <= 2
    assert min(retry_delay(10, 60) for _ in range(20)) >= 30


def test_a_message_whose_template_cannot_render_fails_once_and_does_not_block_the_rest(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    from campaign.database import utcnow
    from campaign.extensions import db
    from campaign.mail.outbox import enqueue_email

    with smtp_app.app_context():
        enqueue_email(
            db.session,
            recipient="x@example.org",
            subject="Broken",
            template="no-such-template",
            context={},
            now=utcnow(),
            locale="en",
        )
        db.session.commit()
    sign(client, campaign, email="fine@example.org")

    report = deliver(smtp_app, smtp(smtp_app))

    assert (report.sent, report.failed) == (1, 1)
    broken = next(m for m in outbox(smtp_app) if m.recipient == "x@example.org")
    assert broken.status == "failed"
    assert (broken.last_error or "").startswith("TemplateNotFound")
    assert [r.recipients[0] for r in smtp_server.received] == ["fine@example.org"]
