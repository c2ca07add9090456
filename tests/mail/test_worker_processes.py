"""Mail workers: real `flask mail worker` processes send each message exactly once; the worker
loop keeps going through an SMTP outage (on an injected clock)."""

from __future__ import annotations

import itertools
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from campaign.database import utcnow
from campaign.outbox.worker import run_workers
from tests.factories import sign
from tests.helpers import outbox
from tests.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]


def start_workers(
    app: Flask, smtp_server: SmtpServer, count: int, **settings: str
) -> list[subprocess.Popen[bytes]]:
    env = dict(
        os.environ,
        SECRET_KEY="test-secret-key",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        PUBLIC_URL="https://petition.example.org",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_server.port),
        MAIL_BATCH_SIZE="5",
        MAIL_POLL_SECONDS="0.05",
        LOG_LEVEL="WARNING",
        **settings,
    )
    return [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]


def stop(workers: list[subprocess.Popen[bytes]]) -> list[tuple[int, str]]:
    """Stop the workers as an operator would (SIGTERM); their exit codes and error output.

    Each is first given the time to start (it says so once its signal handlers are in place):
    on a loaded machine one may still be importing when the others have sent everything, and
    a process stopped before its handlers exist ends with -15 instead of finishing cleanly."""
    for worker in workers:
        assert worker.stdout is not None
        ready, _, _ = select.select([worker.stdout], [], [], 120)
        assert ready, "a mail worker did not start within 120 s"
        worker.stdout.readline()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    results = []
    for worker in workers:
        _, stderr = worker.communicate(timeout=30)
        results.append((worker.returncode, stderr.decode(errors="replace")))
    return results


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)


def wait_until_sent(app: Flask, expected: int, timeout: float = 60) -> None:
    wait_for(lambda: sum(m.status == "sent" for m in outbox(app)) == expected, timeout)


def test_four_worker_processes_send_each_message_exactly_once(
    app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    # On PostgreSQL (the CI's second run) the claim uses FOR UPDATE SKIP LOCKED.
    for n in range(60):
        sign(client, campaign, email=f"proc{n}@example.org")

    workers = start_workers(app, smtp_server, 4)
    try:
        wait_until_sent(app, 60)
    finally:
        results = stop(workers)

    assert [code for code, _ in results] == [0, 0, 0, 0], results
    recipients = sorted(r.recipients[0] for r in smtp_server.received)
    assert recipients == sorted(f"proc{n}@example.org" for n in range(60))
    assert all(m.status == "sent" for m in outbox(app))


def test_a_worker_keeps_going_through_an_smtp_outage_and_delivers_after_it(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    """The worker loop itself (in a thread), with its clock injected: every reading of the
    clock moves time on by 10 s, so each backoff has passed by the next round and the test
    never waits for real time."""
    server = SmtpServer()  # not started yet: connections are refused
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_BATCH_SIZE=5)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", server.port
    for n in range(5):
        sign(client, campaign, email=f"outage{n}@example.org")
    start, ticks = utcnow(), itertools.count()
    lock = threading.Lock()

    def clock() -> datetime:
        with lock:
            return start + timedelta(seconds=10 * next(ticks))

    halt = threading.Event()
    worker = threading.Thread(target=run_workers, args=(app, halt, ["email"], clock))
    worker.start()
    try:
        # Retried at least once each, none lost (pending, or claimed for the next attempt).
        wait_for(lambda: all(m.attempts >= 2 for m in outbox(app)), timeout=30)
        snapshot = outbox(app)
        assert all(m.attempts >= 2 and m.status in ("pending", "sending") for m in snapshot)
        server.start()
        wait_until_sent(app, 5, timeout=30)
    finally:
        halt.set()
        worker.join(30)
        server.stop()
    assert not worker.is_alive()
    assert sorted(r.recipients[0] for r in server.received) == [
        f"outage{n}@example.org" for n in range(5)
    ]
