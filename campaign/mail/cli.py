"""`flask mail send` and `flask mail worker`."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import DeliveryReport, send_due_messages, transport_from_config

log = logging.getLogger(__name__)

mail_cli = AppGroup("mail", help="Deliver the email in the outbox.")


def deliver_one_batch() -> DeliveryReport:
    """Deliver one batch of due messages with the configured transport."""
    config = current_app.config
    try:
        return send_due_messages(
            db.session,
            transport_from_config(),
            now=utcnow,
            batch_size=config["MAIL_BATCH_SIZE"],
            lease_seconds=config["MAIL_LEASE_SECONDS"],
            retry_cap_seconds=config["MAIL_RETRY_MAX_SECONDS"],
            give_up_after=timedelta(hours=config["MAIL_GIVE_UP_HOURS"]),
        )
    finally:
        db.session.remove()


def run_worker(stop: threading.Event) -> None:
    """Deliver due messages until `stop` is set; sleep briefly when there is nothing to do."""
    poll = current_app.config["MAIL_POLL_SECONDS"]
    while not stop.is_set():
        try:
            report = deliver_one_batch()
        except Exception:  # a database restart must not end the worker
            log.exception("Mail worker: delivery round failed; trying again shortly")
            stop.wait(max(poll, 5))
            continue
        if report.claimed == 0 or report.sent == 0:
            stop.wait(poll)


@mail_cli.command("send")
def send_command() -> None:
    """Deliver every message that is due now, then exit."""
    total = DeliveryReport()
    while True:
        report = deliver_one_batch()
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        if report.claimed == 0 or report.sent == 0:
            break
    click.echo(f"sent {total.sent}, to retry {total.retried}, failed {total.failed}")


@mail_cli.command("worker")
def worker_command() -> None:
    """Deliver email until stopped (Ctrl-C or SIGTERM finish the current message first)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Mail worker stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("Mail worker started; Ctrl-C stops it.")
    run_worker(stop)
