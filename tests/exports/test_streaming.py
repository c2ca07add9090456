"""The signatures export streams: it reads the table batch by batch as the download goes,
holds nothing between batches, and the audit log counts what actually left."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from tests.exports.helpers import as_dicts
from tests.factories import add_signature


@pytest.fixture
def twenty_five(app: Flask, campaign_id: int) -> None:
    app.config["EXPORT_BATCH_SIZE"] = 10
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        for n in range(25):
            add_signature(
                db.session,
                campaign_id,
                email=f"s{n:02d}@example.org",
                confirmed_at=start + timedelta(seconds=n),
            )
        db.session.commit()


@pytest.fixture
def batch_queries(app: Flask) -> Iterator[list[str]]:
    """Every batch query the export runs, as it runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM signatures" in statement and "LIMIT" in statement and "signed_at" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_rows_are_read_one_batch_at_a_time_as_the_download_proceeds(
    organiser_client: FlaskClient, campaign: str, twenty_five: None, batch_queries: list[str]
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv")
    chunks = iter(response.response)

    header = next(chunks)
    assert header.startswith(b"first_name,") and batch_queries == []  # headers go out first
    first = next(chunks)
    assert first.count(b"\r\n") == 10
    assert len(batch_queries) == 1  # only what has been sent was read

    rest = list(chunks)
    assert [part.count(b"\r\n") for part in rest] == [10, 5]
    assert len(batch_queries) == 3
    response.close()


def test_a_signature_confirmed_while_the_download_runs_is_in_it(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int, twenty_five: None
) -> None:
    # Proof that nothing was read before it was needed, and that no transaction or
    # snapshot is held between batches (a write goes through in the middle).
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv")
    chunks = iter(response.response)
    body = next(chunks) + next(chunks)

    with app.app_context():
        add_signature(db.session, campaign_id, email="latecomer@example.org", confirmed_at=utcnow())
        db.session.commit()
    body += b"".join(chunks)
    response.close()

    emails = [row["email"] for row in as_dicts(body)]
    assert len(emails) == 26 and emails[-1] == "latecomer@example.org"


def test_a_download_cut_off_part_way_is_logged_as_interrupted_with_the_rows_sent(
    app: Flask, organiser_client: FlaskClient, campaign: str, twenty_five: None
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?opt_in=")
    chunks = iter(response.response)
    next(chunks), next(chunks)

    response.close()  # the client went away

    with app.app_context():
        [logged] = db.session.scalars(select(AuditEvent)).all()
        assert (logged.action, logged.row_count, logged.completed) == (
            "export.signatures",
            10,
            False,
        )
