"""The declarative base, the constraint naming convention and the engine settings we rely on."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any, cast

from flask import has_request_context, request
from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Executable,
    MetaData,
    TypeDecorator,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, registry, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What services take: a plain Session (CLI, tests) or Flask-SQLAlchemy's scoped one (views).
DbSession = Session | scoped_session[Any]


def rowcount(session: DbSession, statement: Executable) -> int:
    """Run a bulk DELETE or UPDATE (no ORM bookkeeping); how many rows it changed."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(cast(CursorResult[Any], result).rowcount or 0)


def dialect_insert(session: DbSession) -> Any:
    """The `insert` of the session's database, with `on_conflict_do_…` (PostgreSQL or SQLite):
    every upsert and insert-if-new goes through this one switch."""
    dialect = session.get_bind().dialect.name
    return insert_for(dialect)


def insert_for(dialect: str) -> Any:
    """`dialect_insert` by dialect name, for statements built once and cached per dialect."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def configure_sqlite(engine: Engine, busy_timeout: int) -> None:
    """Make SQLite fit for a web server with several processes.

    WAL lets readers go on while one writer writes; `BEGIN IMMEDIATE` takes the write lock
    when a write transaction starts, so it waits (up to the busy timeout) instead of failing
    later with "database is locked" when a read lock cannot be upgraded. Read-only requests
    (GET and HEAD), and connections given the execution option `read_only=True` (a CLI
    export), begin deferred, so readers never queue behind writers, nor writers behind them.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        read_only = connection.get_execution_options().get("read_only", False) or (
            has_request_context() and request.method in ("GET", "HEAD")
        )
        if read_only:
            connection.exec_driver_sql("BEGIN")
        else:
            begin_immediate(connection, busy_timeout)


# How long a writer waits between two tries for SQLite's write lock: from a quarter of a
# millisecond, doubling, to 2 ms at most. A signature holds the lock about a millisecond.
FIRST_PAUSE = 0.00025
LONGEST_PAUSE = 0.002


def begin_immediate(connection: Connection, busy_timeout: float) -> None:
    """`BEGIN IMMEDIATE`, waiting for the write lock in short pauses of our own, and for as
    long in all as SQLite's busy timeout would have waited.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries, however
    soon the lock comes free: with two workers writing, a writer that finds the lock taken
    for a millisecond would often sleep five or ten. Here the busy handler is off for the
    tries (`busy_timeout=0`), and back on for the transaction itself. When the time is up
    the last try goes through SQLAlchemy, so a lock that is never released still ends as
    SQLAlchemy's OperationalError (the 503 page with Retry-After), as before.
    """
    raw = connection.connection.driver_connection
    assert raw is not None
    deadline = time.monotonic() + busy_timeout
    pause = FIRST_PAUSE
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    break
            if time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the last try, or SQLAlchemy's error
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
