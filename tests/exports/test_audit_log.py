"""Every export is in the audit log: who, when, which export, which filters, how many rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, select, text

from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from tests.factories import add_signature


def download(client: FlaskClient, url: str) -> bytes:
    """All of it, as a browser saving the file would (an unread download is logged as
    interrupted)."""
    return client.get(url).data


def logged(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all())
        db.session.expunge_all()
        return events


def test_each_download_is_logged_with_who_when_what_filters_and_rows(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        add_signature(db.session, campaign_id, confirmed_at=utcnow(), opt_in=True)
        add_signature(db.session, campaign_id, confirmed_at=utcnow())
        db.session.commit()
    before = utcnow()

    download(
        organiser_client,
        f"/organiser/campaigns/{campaign}/signatures.csv?opt_in=true&since=2026-01-01&excel=true",
    )
    download(organiser_client, f"/organiser/campaigns/{campaign}/signatures.csv")
    download(organiser_client, f"/organiser/campaigns/{campaign}/tallies.csv?by=day")

    first, second, third = logged(app)
    assert before - timedelta(seconds=1) <= first.created_at <= utcnow()
    assert (first.actor, first.action, first.campaign_id) == (
        "organiser@example.org",
        "export.signatures",
        campaign_id,
    )
    assert first.details == {"since": "2026-01-01", "until": None, "opt_in": True, "excel": True}
    assert (first.row_count, first.completed) == (1, True)
    assert (second.row_count, second.details["opt_in"]) == (2, False)
    assert (third.action, third.details, third.row_count) == (
        "export.tallies",
        {"by": "day", "excel": False},
        1,
    )


def test_a_refused_export_is_not_logged_as_one(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    download(organiser_client, f"/organiser/campaigns/{campaign}/signatures.csv?since=never")
    assert logged(app) == []


def test_command_line_exports_are_logged_as_the_command_line(
    app: Flask, runner: FlaskCliRunner, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        add_signature(db.session, campaign_id, confirmed_at=utcnow())
        db.session.commit()

    runner.invoke(args=["export", "signatures", campaign, "--until", "2099-12-31"])
    runner.invoke(args=["export", "tallies", campaign])

    signatures, tallies = logged(app)
    assert (
        signatures.actor,
        signatures.organiser_id,
        signatures.row_count,
        signatures.completed,
    ) == (
        "command line",
        None,
        1,
        True,
    )
    assert signatures.details["until"] == "2099-12-31"
    assert (tallies.action, tallies.row_count) == ("export.tallies", 1)


def test_admins_read_the_log_newest_first(
    app: Flask, organiser_client: FlaskClient, admin_client: FlaskClient, campaign: str
) -> None:
    download(organiser_client, f"/organiser/campaigns/{campaign}/signatures.csv?opt_in=true")
    download(organiser_client, f"/organiser/campaigns/{campaign}/tallies.csv?by=source")

    page = admin_client.get("/organiser/audit").get_data(as_text=True)

    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert "export.tallies" in rows[0] and "by=source" in rows[0]
    assert "export.signatures" in rows[1] and "opt_in=True" in rows[1]
    assert "organiser@example.org" in rows[1] and campaign in rows[1]
    assert '<td class="number">0</td>' in rows[1]


def test_the_log_never_holds_a_supporters_data(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        add_signature(
            db.session,
            campaign_id,
            confirmed_at=utcnow(),
            first_name="Wanjiru",
            email="wanjiru@example.org",
        )
        db.session.commit()
    download(organiser_client, f"/organiser/campaigns/{campaign}/signatures.csv")
    [event] = logged(app)
    assert "Wanjiru" not in str(event.details) and "wanjiru@" not in str(event.details)


def test_an_export_is_logged_even_when_someone_writes_while_it_starts(
    app: Flask, organiser_client: FlaskClient, campaign: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A download is a GET, read in a deferred transaction on SQLite. Had the audit row been
    # written in that same transaction, SQLite would refuse it (no waiting) whenever a
    # signature was written between the request's first read and the log.
    from campaign.exports import views

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_engine(url)
    real = views.campaign_for_organiser

    def meanwhile_someone_writes(slug: str) -> Campaign:
        found = real(slug)
        with other.begin() as connection:
            connection.execute(
                text("UPDATE campaigns SET goal = goal + 1 WHERE slug = :s"), {"s": slug}
            )
        return found

    monkeypatch.setattr(views, "campaign_for_organiser", meanwhile_someone_writes)
    try:
        for path in ("signatures.csv", "tallies.csv"):
            response = organiser_client.get(f"/organiser/campaigns/{campaign}/{path}")
            assert response.status_code == 200, path
            response.get_data()
    finally:
        other.dispose()
    assert [event.action for event in logged(app)] == ["export.signatures", "export.tallies"]
