"""SQLite writers from several processes take turns in a kernel queue, not by sleeping.

SQLite lets one writer at a time in; the others wait in its busy handler, which sleeps
1, 2, 5, 10, 15, 20, 25… ms between tries. Under a crowd a waiting writer therefore often
sleeps on long after the lock came free, and a signature that needs 3 ms of work waits 20.
Here a write transaction first takes an exclusive `flock` on a file beside the database
(from `BEGIN IMMEDIATE` until its commit or rollback): the kernel wakes the next writer the
moment the previous one lets go. It only orders the writers: SQLite's own lock still
decides, so correctness never depends on it (threads of one process share the turn, and
SQLite's busy handler settles between them, as before). A process that dies lets go of it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any

from sqlalchemy import Engine, event


class WriterTurns:
    """The exclusive `flock` on `path`, held per DBAPI connection in a write transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._holders: set[int] = set()
        self._lock = threading.Lock()

    def _file(self) -> int:
        # One open file per process: a descriptor inherited across fork() would be the same
        # lock for every worker, which is no lock at all between them.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
            self._holders.clear()
        return self._fd

    def take(self, connection: Any) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_EX)
        with self._lock:
            self._holders.add(_identity(connection))

    def give_back(self, connection: Any) -> None:
        with self._lock:
            if _identity(connection) not in self._holders:
                return
            self._holders.discard(_identity(connection))
            if self._holders or self._fd is None:
                return  # another thread of this process is writing: it lets go when done
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _identity(connection: Any) -> int:
    # SQLAlchemy hands the dialect its pool's proxy, and events the DBAPI connection itself.
    return id(getattr(connection, "dbapi_connection", None) or connection)


def queue_writers(engine: Engine) -> WriterTurns | None:
    """Give the engine's write transactions turns (a file database only); returns them."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    turns = WriterTurns(f"{database}-writers.lock")
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    # After SQLite's own COMMIT or ROLLBACK, never before: the next writer finds it free.
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "close")
    def _closed(dbapi_connection: Any, _record: Any) -> None:
        turns.give_back(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def _invalidated(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        turns.give_back(dbapi_connection)

    return turns
