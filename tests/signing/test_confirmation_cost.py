"""Confirming costs a few statements on the usual path, and still tells its subscribers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from campaign import signals
from campaign.extensions import db
from tests.factories import sign
from tests.helpers import confirmation_path, confirmed_count, signatures


def _statements(app: Flask) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_confirmation_takes_four_statements_and_is_announced_once(
    app: Flask, make_app: Any, campaign: str
) -> None:
    sign(app.test_client(), campaign, country="KE", email="earlier@example.org")
    earlier = confirmation_path(app)
    sign(app.test_client(), campaign, country="KE")
    path = confirmation_path(app)
    # As in production: the campaign, its text and whether it has webhook endpoints come
    # from the process's short-lived copy, which an earlier confirmation has filled.
    served = make_app(TALLY_CACHE_SECONDS=60)
    client: FlaskClient = served.test_client()
    client.post(earlier)
    client.get(path)  # the link's page, as a real visit opens it first
    heard: list[int] = []

    def listener(sender: int, **kwargs: Any) -> None:
        heard.append(kwargs["signature_id"])

    signals.signature_confirmed.connect(listener)
    try:
        statements = _statements(served)
        response = client.post(path)
    finally:
        signals.signature_confirmed.disconnect(listener)

    assert response.status_code == 200
    assert "your signature is confirmed" in response.get_data(as_text=True)
    # BEGIN (SQLite's BEGIN IMMEDIATE, or none on PostgreSQL), the UPDATE … RETURNING, the
    # tally, the count shown: no lookup before the update, no reload after it.
    real = [s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    assert len(real) <= 3, real
    assert heard == [signatures(app)[1].id]
    assert confirmed_count(app, campaign) == 2

    again = client.post(path)
    assert "already confirmed" in again.get_data(as_text=True)
    assert heard == [signatures(app)[1].id]  # once
    assert confirmed_count(app, campaign) == 2
