"""SQLite writers take turns on a lock file (campaign/sqlite_writers.py): held from the start
of a write transaction to its commit or rollback, never by a read."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from campaign.extensions import db
from tests.fixtures.database import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite only")


@pytest.fixture
def turn_is_free(app: Flask) -> Iterator[Callable[[], bool]]:
    """Whether another process could take the writers' turn now (a second open file)."""
    with app.app_context():
        path = f"{db.engine.url.database}-writers.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def free() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True

    yield free
    os.close(fd)


def test_a_write_transaction_holds_the_turn_until_it_ends(
    app: Flask, turn_is_free: Callable[[], bool]
) -> None:
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("SELECT 1"))
            assert not turn_is_free()
        assert turn_is_free()

        with db.engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(text("SELECT 1"))
            assert not turn_is_free()
            transaction.rollback()
        assert turn_is_free()

        reader = db.engine.connect().execution_options(read_only=True)
        with reader as connection, connection.begin():
            connection.execute(text("SELECT 1"))
            assert turn_is_free()  # readers never wait for writers


def test_a_failed_write_gives_the_turn_back(app: Flask, turn_is_free: Callable[[], bool]) -> None:
    with (
        app.app_context(),
        pytest.raises(Exception, match="no such table"),
        db.engine.begin() as connection,
    ):
        connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert turn_is_free()
