"""The outbox's guards, each shown failing without it: a stalled worker never overwrites the
new owner's result, a message is given up after the kind's limit (time driven through the
clock the code takes), a worker survives a real database outage, and on PostgreSQL workers
skip each other's claims instead of waiting for them."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask
from sqlalchemy import Table, create_engine, select, text

from campaign import create_app
from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.models import EmailMessage
from campaign.outbox.delivery import (
    Claimed,
    Policy,
    TemporaryFailure,
    claim_due,
    deliver_due,
)
from campaign.outbox.models import OutboxMessage
from campaign.outbox.queue import enqueue
from campaign.outbox.registry import register_sender, unregister_sender
from campaign.outbox.worker import deliver_batch, run_workers
from tests.factories import sign
from tests.fixtures.database import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    app_config,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)
from tests.races import start
from tests.smtp import free_port

KIND = "test-guard"


class Recorder:
    """A sender that records what it delivered; `during_send` runs inside `send`."""

    def __init__(self) -> None:
        self.delivered: list[Any] = []
        self.during_send: Callable[[Claimed], None] | None = None

    def open(self) -> None:
        pass

    def send(self, message: Claimed) -> None:
        if self.during_send is not None:
            self.during_send(message)
        self.delivered.append(message.row["payload"])

    def close(self) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    kind = Recorder()
    register_sender(KIND, lambda: kind, policy=lambda _config: Policy(poll_seconds=0.05))
    yield kind
    unregister_sender(KIND)


def queue(app: Flask, payload: dict[str, Any]) -> None:
    with app.app_context():
        enqueue(db.session, KIND, payload=payload, now=utcnow())
        db.session.commit()


def rows(app: Flask) -> list[Any]:
    with app.app_context():
        table = cast(Table, OutboxMessage.__table__)
        found = db.session.execute(
            select(table).where(table.c.kind == KIND).order_by(table.c.id)
        ).all()
        db.session.remove()
        return list(found)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    assert condition(), f"not true after {timeout} s"


# The stale-lease guard ----------------------------------------------------------------------


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_new_owners_claim(
    app: Flask, recorder: Recorder
) -> None:
    queue(app, {"n": 1})
    start_time = utcnow()
    later = start_time + timedelta(seconds=200)

    def stalls_then_fails(message: Claimed) -> None:
        # The first worker stalls past its 120 s lease: a second worker claims the message.
        def second_worker_claims() -> None:
            with app.app_context():
                claimed = claim_due(db.session, KIND, later, 10, lease_seconds=120)
                db.session.commit()
                db.session.remove()
            assert [c.id for c in claimed] == [message.id]

        start(second_worker_claims, "second worker").outcome()
        raise TemporaryFailure("421 timed out")

    recorder.during_send = stalls_then_fails
    with app.app_context():
        report = deliver_due(
            db.session, KIND, recorder, now=lambda: start_time, policy=Policy(lease_seconds=120)
        )
        db.session.remove()

    assert report.retried == 1  # the first worker thinks it will retry ...
    (row,) = rows(app)
    # ... but the message is the second worker's: still sending, its attempt, its lease.
    assert (row.status, row.attempts) == ("sending", 2)
    assert row.lease_expires_at is not None and row.last_error is None


def test_a_worker_whose_lease_ran_out_does_not_mark_sent_what_another_worker_retries(
    app: Flask, recorder: Recorder
) -> None:
    queue(app, {"n": 1})
    start_time = utcnow()
    later = start_time + timedelta(seconds=200)

    def stalls(message: Claimed) -> None:
        # Meanwhile a second worker took the message over, failed and scheduled a retry.
        def second_worker_fails() -> None:
            failing = Recorder()
            failing.during_send = refuse
            with app.app_context():
                deliver_due(db.session, KIND, failing, now=lambda: later, policy=Policy())
                db.session.remove()

        start(second_worker_fails, "second worker").outcome()

    recorder.during_send = stalls
    with app.app_context():
        deliver_due(db.session, KIND, recorder, now=lambda: start_time, policy=Policy())
        db.session.remove()

    (row,) = rows(app)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 2, None)
    assert row.last_error == "451 later"


def refuse(_message: Claimed) -> None:
    raise TemporaryFailure("451 later")


# Giving up ------------------------------------------------------------------------------------


def test_an_email_is_given_up_after_mail_give_up_hours_and_not_before(
    app: Flask, client: Any, campaign: str
) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_GIVE_UP_HOURS=72)
    app.extensions["mail"].server, app.extensions["mail"].port = (
        "127.0.0.1",
        app.config["MAIL_PORT"],
    )
    assert sign(client, campaign, email="far@example.org").status_code == 303
    with app.app_context():
        created: datetime = db.session.scalar(select(EmailMessage.created_at))
        db.session.remove()

    def round_at(offset: timedelta) -> tuple[str, int]:
        with app.app_context():
            deliver_batch("email", now=lambda: created + offset)
            message = db.session.scalar(select(EmailMessage))
            assert message is not None
            outcome = (message.status, message.attempts)
            db.session.remove()
        return outcome

    # Nothing listens on the port: every attempt fails for now.
    assert round_at(timedelta(hours=1)) == ("pending", 1)
    assert round_at(timedelta(hours=71)) == ("pending", 2)
    assert round_at(timedelta(hours=72)) == ("pending", 3)  # exactly the limit: once more
    assert round_at(timedelta(hours=72, minutes=1)) == ("failed", 4)
    assert round_at(timedelta(hours=100)) == ("failed", 4)  # and never again


# A database outage --------------------------------------------------------------------------


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[tuple[str, Callable[[], Any], Callable[[], None]]]:
    """A database of its own for a worker: its URL, and how to take it down and bring it back
    (PostgreSQL: refuse connections and end those open; SQLite: another process holds the
    file's write lock)."""
    if ON_POSTGRES:
        assert TEST_DATABASE_URL
        name = TEST_DATABASE_URL.rsplit("/", 1)[1] + "_outage"
        url = create_postgres_database(name)
        admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")

        def down() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

        def up() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

        yield url, down, up
        up()
        admin.dispose()
        drop_postgres_database(name)
    else:
        path = tmp_path / "worker.db"
        holder: list[sqlite3.Connection] = []

        def lock() -> None:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("BEGIN EXCLUSIVE")
            holder.append(connection)

        def unlock() -> None:
            for connection in holder:
                connection.rollback()
                connection.close()
            holder.clear()

        yield f"sqlite:///{path}", lock, unlock
        unlock()


def test_the_worker_survives_a_database_outage_and_delivers_when_it_is_back(
    own_database: tuple[str, Callable[[], None], Callable[[], None]],
    recorder: Recorder,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, down, up = own_database
    app = create_app({**app_config(url, tmp_path), "SQLITE_BUSY_TIMEOUT": 1})
    with app.app_context():
        db.create_all()
    stop = threading.Event()
    worker = threading.Thread(target=run_workers, args=(app, stop, [KIND]), daemon=True)
    caplog.set_level(logging.ERROR, logger="campaign.outbox.worker")
    worker.start()
    try:
        queue(app, {"n": "before"})
        wait_for(lambda: recorder.delivered == [{"n": "before"}])

        down()
        wait_for(lambda: "delivery round failed" in caplog.text)
        assert worker.is_alive()
        up()

        queue(app, {"n": "after"})
        wait_for(lambda: recorder.delivered == [{"n": "before"}, {"n": "after"}])
        assert worker.is_alive()
    finally:
        up()
        stop.set()
        worker.join(30)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not worker.is_alive()


# SKIP LOCKED --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_worker_delivers_other_messages_while_another_holds_its_claim_open(
    app: Flask, make_app: Callable[..., Flask], recorder: Recorder
) -> None:
    for n in range(4):
        queue(app, {"n": n})
    holder = make_app()
    with holder.app_context():
        # The first worker claims the oldest message and keeps its transaction open.
        held = claim_due(db.session, KIND, utcnow(), 1, lease_seconds=120)
        assert [c.row["payload"] for c in held] == [{"n": 0}]

        def second_worker() -> int:
            with app.app_context():
                report = deliver_due(db.session, KIND, recorder, now=utcnow, policy=Policy())
                db.session.remove()
                return report.sent

        other = start(second_worker, "second worker")
        other.join(15)
        waited = other.is_alive()
        db.session.rollback()  # the first worker lets go (the message is due again)
        sent = other.outcome()
        db.session.remove()

    assert not waited, "the second worker waited for the first one's claim"
    assert sent == 3
    assert recorder.delivered == [{"n": 1}, {"n": 2}, {"n": 3}]
