"""On SQLite a signature waits for the one write lock in short pauses: it goes through as soon
as another writer lets go, and a writer that never lets go gives a clear 503 with Retry-After
after the busy timeout, never a hang and never a lost or half-made signature."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.factories import csrf_token, signature_form
from tests.helpers import outbox, signatures


@pytest.fixture
def lock_holder(app: Flask) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Take and release SQLite's write lock from a second, real connection to the file."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's write lock")
    holder = sqlite3.connect(
        url.removeprefix("sqlite:///"), isolation_level=None, timeout=5, check_same_thread=False
    )
    holding = threading.Lock()

    def take() -> None:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE campaigns SET updated_at = updated_at")

    def release() -> None:
        with holding:
            if holder.in_transaction:
                holder.execute("COMMIT")

    yield take, release
    release()
    holder.close()


def _post(
    app: Flask, slug: str, email: str, *, locked: Callable[[], None] = lambda: None
) -> tuple[int, dict[str, str], float]:
    """Post the signing form (its page loaded first); `locked` runs just before the post,
    and the time is the post's."""
    client = app.test_client()
    path = f"/campaigns/{slug}"
    token = csrf_token(client, path)
    locked()
    started = time.monotonic()
    response = client.post(path, data={**signature_form(email=email), "csrf_token": token})
    return response.status_code, dict(response.headers), time.monotonic() - started


def test_a_signature_goes_through_as_soon_as_the_other_writer_lets_go(
    app: Flask,
    make_app: Callable[..., Flask],
    campaign: str,
    lock_holder: tuple[Callable[[], None], Callable[[], None]],
) -> None:
    take, release = lock_holder
    served = make_app(SQLITE_BUSY_TIMEOUT=5)
    _post(served, campaign, "warm@example.org")  # imports and caches out of the timing
    releaser = threading.Timer(0.3, release)

    def locked() -> None:
        take()
        releaser.start()

    status, _, seconds = _post(served, campaign, "waited@example.org", locked=locked)
    releaser.join()

    assert status == 303
    assert 0.25 <= seconds < 1.5  # waited for the lock, then went on within a few ms of it
    assert "waited@example.org" in [s.email for s in signatures(app)]
    assert "waited@example.org" in [m.recipient for m in outbox(app)]


def test_a_writer_that_never_lets_go_gives_a_503_with_retry_after_and_stores_nothing(
    app: Flask,
    make_app: Callable[..., Flask],
    campaign: str,
    lock_holder: tuple[Callable[[], None], Callable[[], None]],
) -> None:
    take, release = lock_holder
    served = make_app(SQLITE_BUSY_TIMEOUT=1)
    _post(served, campaign, "warm@example.org")
    before = len(signatures(app))

    status, headers, seconds = _post(served, campaign, "blocked@example.org", locked=take)
    release()

    assert status == 503
    assert headers["Retry-After"] == "30"
    assert 1.0 <= seconds < 3.0  # the busy timeout, and not much more: no hang
    assert len(signatures(app)) == before
    assert "blocked@example.org" not in [m.recipient for m in outbox(app)]
    # And once the lock is free, the same app signs again.
    status, _, _ = _post(served, campaign, "after@example.org")
    assert status == 303
