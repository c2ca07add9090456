"""The workers: each kind is claimed and delivered by its own loop, in its own thread with
its own database session, so a stalled kind (a slow webhook receiver) never delays another
(email)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Flask, current_app

from campaign.database import utcnow
from campaign.extensions import db
from campaign.outbox.delivery import Claimed, DeliveryReport, Sender, deliver_due
from campaign.outbox.registry import registered_kinds, registration

log = logging.getLogger(__name__)


class _LazySender:
    """Makes the kind's sender only when a batch has something to send: an idle kind opens
    no connection."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._sender: Sender | None = None

    def open(self) -> None:
        self._sender = registration(self.kind).factory()
        self._sender.open()

    def send(self, message: Claimed) -> None:
        assert self._sender is not None
        self._sender.send(message)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()


def deliver_batch(kind: str, now: Callable[[], datetime] = utcnow) -> DeliveryReport:
    """Deliver one batch of due messages of `kind` (inside an application context); `now`
    is the clock (tests drive time through it)."""
    entry = registration(kind)
    policy = entry.policy(current_app.config)
    try:
        return deliver_due(db.session, kind, _LazySender(kind), now=now, policy=policy)
    finally:
        db.session.remove()


def drain(kind: str) -> DeliveryReport:
    """Deliver batches of `kind` until nothing is due or a whole batch failed to go out."""
    total = DeliveryReport()
    while True:
        report = deliver_batch(kind)
        total.add(report)
        if report.claimed == 0 or report.sent == 0:
            return total


def run_kind(kind: str, stop: threading.Event, now: Callable[[], datetime] = utcnow) -> None:
    """Deliver due messages of `kind` until `stop` is set; sleep briefly when there is
    nothing to do."""
    poll = registration(kind).policy(current_app.config).poll_seconds
    while not stop.is_set():
        try:
            report = deliver_batch(kind, now)
        except Exception:  # a database restart must not end the worker
            log.exception("Outbox worker (%s): delivery round failed; trying again shortly", kind)
            stop.wait(max(poll, 5))
            continue
        if report.claimed == 0 or report.sent == 0:
            stop.wait(poll)


def _in_threads(
    app: Flask, kinds: Iterable[str], target: Callable[..., object], *args: object
) -> list[threading.Thread]:
    def run(kind: str) -> None:
        with app.app_context():
            target(kind, *args)

    threads = [
        threading.Thread(target=run, args=(kind,), name=f"outbox-{kind}", daemon=True)
        for kind in kinds
    ]
    for thread in threads:
        thread.start()
    return threads


def run_workers(
    app: Flask,
    stop: threading.Event,
    kinds: Iterable[str] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> None:
    """One delivery loop per kind, each in its own thread, until `stop` is set."""
    threads = _in_threads(app, registered_kinds() if kinds is None else kinds, run_kind, stop, now)
    # Joined with a timeout, so the main thread still handles SIGTERM and Ctrl-C.
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)


def drain_all(app: Flask, kinds: Iterable[str] | None = None) -> DeliveryReport:
    """Deliver everything due now, every kind at once (one thread each); the sum of it."""
    reports: dict[str, DeliveryReport] = {}
    errors: list[Exception] = []

    def drain_into(kind: str) -> None:
        try:
            reports[kind] = drain(kind)
        except Exception as error:  # raised again below, once every kind has had its turn
            errors.append(error)

    threads = _in_threads(app, registered_kinds() if kinds is None else kinds, drain_into)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    total = DeliveryReport()
    for report in reports.values():
        total.add(report)
    return total
