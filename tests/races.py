"""Deterministic races on PostgreSQL: make two transactions meet at a chosen statement.

A race that happens "sometimes" proves nothing. These helpers stop a transaction at a given
SQL statement (an SQLAlchemy cursor event on the engine) and let the other side run until it
has either finished or is waiting for a row lock (seen in `pg_stat_activity`), then let the
first side carry on. Either way the outcome is decided by the code under test, not by luck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from tests.fixtures.database import TEST_DATABASE_URL

LIMIT_SECONDS = 30


class Worker(threading.Thread):
    """A thread that keeps its result or the exception it raised."""

    def __init__(self, target: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._work = target
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._work()
        except BaseException as error:  # re-raised in the test's thread by outcome()
            self.error = error

    def outcome(self, timeout: float = LIMIT_SECONDS) -> Any:
        self.join(timeout)
        assert not self.is_alive(), f"{self.name} did not finish in {timeout} s"
        if self.error is not None:
            raise self.error
        return self.result


def start(target: Callable[[], Any], name: str) -> Worker:
    worker = Worker(target, name)
    worker.start()
    return worker


def sessions_waiting_for_a_lock() -> int:
    """How many sessions of the test database wait for a lock held by another."""
    assert TEST_DATABASE_URL
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


def finished_or_blocked(worker: Worker, timeout: float = LIMIT_SECONDS) -> bool:
    """Wait until `worker` has finished (True) or waits for a row lock (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.is_alive():
            return True
        if sessions_waiting_for_a_lock() > 0:
            return False
        time.sleep(0.02)
    raise AssertionError(f"{worker.name} neither finished nor waited for a lock in {timeout} s")


@contextmanager
def at_statement(
    engine: Engine, starts_with: str, action: Callable[[], None], *, when: str = "after"
) -> Iterator[None]:
    """Run `action` (once) in the thread that executes the first statement starting with
    `starts_with`, before or after that statement runs; the statement's transaction stays
    open meanwhile."""
    done = threading.Event()
    hook = "after_cursor_execute" if when == "after" else "before_cursor_execute"

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not done.is_set() and statement.lstrip().upper().startswith(starts_with.upper()):
            done.set()
            action()

    event.listen(engine, hook, listener)
    try:
        yield
    finally:
        event.remove(engine, hook, listener)
    assert done.is_set(), f"no statement starting {starts_with!r} was run"


@contextmanager
def meet_before(engine: Engine, starts_with: str, parties: int = 2) -> Iterator[threading.Barrier]:
    """Every thread that is about to run a statement starting with `starts_with` waits there
    until `parties` threads have reached it: all of them read what they read before any of
    them writes."""
    barrier = threading.Barrier(parties, timeout=LIMIT_SECONDS)
    passed: set[int] = set()

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        me = threading.get_ident()
        if me not in passed and statement.lstrip().upper().startswith(starts_with.upper()):
            passed.add(me)  # once per thread
            barrier.wait()

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield barrier
    finally:
        event.remove(engine, "before_cursor_execute", listener)
