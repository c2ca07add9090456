"""`flask mail send` and `flask mail worker`: they deliver every kind of outbox message
(email, and any other kind registered with campaign.outbox.registry), each kind on its own
thread so that one stalled kind never holds back another."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

# Imported for its registration of the 'email' kind.
from campaign.mail import delivery as _email_kind  # noqa: F401
from campaign.outbox.delivery import DeliveryReport
from campaign.outbox.registry import registered_kinds
from campaign.outbox.worker import deliver_batch, drain_all, run_workers

log = logging.getLogger(__name__)

mail_cli = AppGroup("mail", help="Deliver the email (and every other message) in the outbox.")


def deliver_one_batch() -> DeliveryReport:
    """Deliver one batch of due messages of each kind with the configured senders."""
    total = DeliveryReport()
    for kind in registered_kinds():
        total.add(deliver_batch(kind))
    return total


def run_worker(stop: threading.Event) -> None:
    """Deliver due messages of every kind until `stop` is set."""
    run_workers(current_app._get_current_object(), stop)  # type: ignore[attr-defined]


@mail_cli.command("send")
def send_command() -> None:
    """Deliver every message that is due now, then exit."""
    total = drain_all(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"sent {total.sent}, to retry {total.retried}, failed {total.failed}")


@mail_cli.command("worker")
def worker_command() -> None:
    """Deliver outbox messages until stopped (Ctrl-C or SIGTERM finish the current message
    of each kind first)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Mail worker stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("Mail worker started; Ctrl-C stops it.")
    run_worker(stop)
