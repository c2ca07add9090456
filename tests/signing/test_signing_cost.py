"""A new signature costs three statements in one transaction, and the email it sends is made
before the first of them (on SQLite the first statement takes the one write lock)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from campaign.extensions import db
from tests.factories import csrf_token, sign, signature_form
from tests.helpers import confirmation_links, confirmation_path, outbox, signatures


def test_a_new_signature_takes_three_statements_and_still_sends_its_link(
    app: Flask, make_app: Any, campaign: str
) -> None:
    sign(app.test_client(), campaign, email="earlier@example.org")
    # As in production: the campaign and its text come from the process's short-lived copy.
    served = make_app(TALLY_CACHE_SECONDS=60)
    client = served.test_client()
    path = f"/campaigns/{campaign}"
    token = csrf_token(client, path)
    client.post(path, data={**signature_form(email="warm@example.org"), "csrf_token": token})
    seen: list[str] = []
    with served.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))

    response = client.post(
        path, data={**signature_form(email="new@example.org"), "csrf_token": token}
    )

    assert response.status_code == 303
    # BEGIN (SQLite's BEGIN IMMEDIATE, or none on PostgreSQL), then the signature, its
    # link and its email: no clean-up of links a new signature cannot have, no reads.
    real = [s for s in seen if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    assert [s.split()[:3] for s in real] == [
        ["INSERT", "INTO", "signatures"],
        ["INSERT", "INTO", "confirmation_links"],
        ["INSERT", "INTO", "outbox_messages"],
    ], real
    new = signatures(app)[-1]
    assert new.email == "new@example.org"
    assert [link.signature_id for link in confirmation_links(app)][-1] == new.id
    message = outbox(app)[-1]
    assert message.signature_id == new.id
    assert message.recipient == "new@example.org"
    # The link in the email confirms this signature.
    assert client.post(confirmation_path(served)).status_code == 200
    assert signatures(app)[-1].status == "confirmed"


def _plan_once_for_all(connection: Any, _record: Any) -> None:
    connection.execute("SET plan_cache_mode = force_generic_plan")
    connection.commit()  # a setting made in a transaction the pool rolls back would go


@pytest.mark.postgres
def test_the_insert_built_once_keeps_working_when_the_server_plans_it_once_for_all(
    app: Flask, campaign: str
) -> None:
    # psycopg prepares a statement on the server from its fifth run on a connection, and
    # PostgreSQL may then plan it once for every run (a generic plan, as it does under load):
    # a parameter in ON CONFLICT's WHERE no longer names the partial unique index, and the
    # signature failed (a 500). Forced here, so that it happens on every run.
    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", _plan_once_for_all)
    client = app.test_client()
    for number in range(12):
        response = sign(client, campaign, email=f"signer{number}@example.org")
        assert response.status_code == 303, number
    assert len(signatures(app)) == 12
