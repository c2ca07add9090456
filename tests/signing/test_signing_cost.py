"""A new signature costs three statements in one transaction, and the email it sends is made
before the first of them (on SQLite the first statement takes the one write lock)."""

from __future__ import annotations

from typing import Any

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
