"""Campaign settings organisers change without a deploy, pausing signing, and the report."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Select, func, select

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from tests.factories import add_signature, campaign_by_slug, csrf_from, sign, signature_form
from tests.helpers import signatures


def settings_events() -> Select[tuple[AuditEvent]]:
    """The audit log but for the organisers' own logins."""
    return select(AuditEvent).where(AuditEvent.action != "organiser.login")


def settings_form(client: FlaskClient, slug: str, **changes: str) -> dict[str, str]:
    page = client.get(f"/organiser/campaigns/{slug}/settings").get_data(as_text=True)
    form = {
        "csrf_token": csrf_from(page),
        "goal": "1000",
        "opens_at": "",
        "closes_at": "",
        "show_recent_signers": "y",
        "paused_message": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_an_organiser_changes_the_goal_and_the_public_page_follows(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(organiser_client, campaign, goal="250000"),
    )

    assert response.status_code == 303
    assert "Saved" in organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/campaigns/{campaign}.json").get_json()["goal"] == 250000
    with app.app_context():
        [event] = db.session.scalars(settings_events()).all()
        assert (event.action, event.actor, event.details) == (
            "campaign.settings",
            "organiser@example.org",
            {"goal": [1000, 250000]},
        )


def test_pausing_signing_shows_the_message_instead_of_the_form_and_takes_no_signature(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    message = "Signatures are being delivered to the UN today. <b>Thank you!</b>"
    organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(organiser_client, campaign, signing_paused="y", paused_message=message),
    )

    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "Signatures are being delivered to the UN today. &lt;b&gt;Thank you!&lt;/b&gt;" in page
    assert 'name="first_name"' not in page

    # A form loaded before the pause (any valid token of this browser) is refused too.
    token = csrf_from(client.get("/organiser/login").get_data(as_text=True))
    response = client.post(f"/campaigns/{campaign}", data={**signature_form(), "csrf_token": token})
    assert response.status_code == 403
    assert signatures(app) == []

    organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings", data=settings_form(organiser_client, campaign)
    )
    assert 'name="first_name"' in client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert sign(client, campaign).status_code == 303


def test_a_signature_made_before_the_pause_can_still_be_confirmed(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    from tests.helpers import confirmation_path, confirmed_count

    sign(client, campaign)
    organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(organiser_client, campaign, signing_paused="y"),
    )
    assert "not taking signatures" in client.get(f"/campaigns/{campaign}").get_data(as_text=True)

    client.post(confirmation_path(app))

    assert confirmed_count(app, campaign) == 1


def test_open_and_close_times_are_read_as_utc_and_must_be_in_order(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    bad = organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(
            organiser_client, campaign, opens_at="2027-01-02T10:00", closes_at="2027-01-01T10:00"
        ),
    )
    assert bad.status_code == 422
    assert "The petition must close after it opens." in bad.get_data(as_text=True)

    good = organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(
            organiser_client, campaign, opens_at="2026-01-01T08:30", closes_at="2027-01-01T10:00"
        ),
    )
    assert good.status_code == 303
    with app.app_context():
        campaign_row = campaign_by_slug(db.session, campaign)
        assert campaign_row.opens_at.isoformat() == "2026-01-01T08:30:00+00:00"
        assert campaign_row.closes_at.isoformat() == "2027-01-01T10:00:00+00:00"


def test_turning_recent_signers_off_hides_them(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int, client: FlaskClient
) -> None:
    with app.app_context():
        add_signature(
            db.session, campaign_id, confirmed_at=utcnow() - timedelta(minutes=3), country="KE"
        )
        db.session.commit()
    assert "Someone in Kenya" in client.get(f"/campaigns/{campaign}").get_data(as_text=True)

    organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings",
        data=settings_form(organiser_client, campaign, show_recent_signers=None),
    )

    assert "Someone in Kenya" not in client.get(f"/campaigns/{campaign}").get_data(as_text=True)


def test_bad_settings_are_refused_with_a_message_and_change_nothing(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    for changes in (
        {"goal": "0"},
        {"goal": "-5"},
        {"goal": "lots"},
        {"goal": "99999999999"},
        {"opens_at": "tomorrow"},
        {"paused_message": "x" * 501},
        {"csrf_token": "forged"},
    ):
        response = organiser_client.post(
            f"/organiser/campaigns/{campaign}/settings",
            data=settings_form(organiser_client, campaign, **changes),
        )
        assert response.status_code in (400, 422), changes
    with app.app_context():
        assert campaign_by_slug(db.session, campaign).goal == 1000
    with app.app_context():
        assert db.session.scalars(settings_events()).all() == []


def test_saving_unchanged_settings_logs_nothing(
    organiser_client: FlaskClient, campaign: str, app: Flask
) -> None:
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/settings", data=settings_form(organiser_client, campaign)
    )
    assert "Nothing had changed" in organiser_client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalars(settings_events()).all() == []


def test_the_delivery_report_has_the_demand_the_total_the_countries_and_the_date(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        for country in ("FR", "FR", "KE", "CI"):
            add_signature(db.session, campaign_id, confirmed_at=utcnow(), country=country)
        add_signature(db.session, campaign_id, country="DE")  # pending: not counted
        db.session.commit()

    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Petition delivery report" in page
    assert "Stop the spyware." in page and "A moratorium <strong>now</strong>" in page
    assert "Addressed to:" in page and "World leaders" in page
    assert (
        "<strong>4</strong>" in page
        and "confirmed signatures" in page
        and "from 3 countries" in page
    )
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.index("France") < rows.index("Côte d’Ivoire")
    assert "Germany" not in page
    assert f"As of {utcnow().strftime('%B')}" in page
    assert "organiser.css" in page  # with its print rules


def test_the_report_prints_without_navigation(app: Flask) -> None:
    css = (app.static_folder or "") + "/organiser.css"
    with open(css, encoding="utf-8") as file:
        rules = file.read().split("@media print")[1]
    for hidden in (".site-header", ".site-footer", ".organiser-nav", ".no-print"):
        assert hidden in rules
    assert "thead { display: table-header-group; }" in rules


def test_nothing_is_stored_about_who_was_shown_the_report(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    def rows_per_table() -> dict[str, int]:
        with app.app_context():
            return {
                table.name: int(db.session.scalar(select(func.count()).select_from(table)) or 0)
                for table in db.metadata.sorted_tables
            }

    before = rows_per_table()
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report")

    assert response.status_code == 200
    assert rows_per_table() == before  # no audit event, no log row, nothing at all
