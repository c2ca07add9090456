"""Closing a campaign with an outcome: recorded and audited, shown on its page in English and
French with the count, the form gone (page and embed), a post refused cleanly; reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.extensions import db
from tests.factories import add_signature, campaign_by_slug, csrf_from, signature_form
from tests.helpers import signatures


def closing_form(client: FlaskClient, slug: str, **fields: str) -> dict[str, str]:
    page = client.get(f"/organiser/campaigns/{slug}/close").get_data(as_text=True)
    return {"csrf_token": csrf_from(page), **fields}


def close(client: FlaskClient, slug: str, **fields: str) -> int:
    data = closing_form(
        client,
        slug,
        **{
            "kind": "delivered",
            "on": "2027-03-04",
            "text_en": "We handed 2 signatures to the minister.\n\nThank you!",
            "text_fr": "Nous avons remis 2 signatures au ministre.",
            **fields,
        },
    )
    return client.post(f"/organiser/campaigns/{slug}/close", data=data).status_code


def test_closing_records_the_outcome_shows_it_and_stops_the_form(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int, client: FlaskClient
) -> None:
    with app.app_context():
        for _ in range(2):
            add_signature(db.session, campaign_id, confirmed_at=datetime.now(UTC))
        db.session.commit()

    assert close(organiser_client, campaign) == 303

    with app.app_context():
        row = campaign_by_slug(db.session, campaign)
        assert (row.outcome, row.outcome_on.isoformat()) == ("delivered", "2027-03-04")
        assert row.closes_at is not None and row.closes_at == row.closed_at  # for retention
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "campaign.closed")
        ).all()
        assert event.actor == "organiser@example.org"
        assert event.details["outcome"] == "delivered" and event.details["on"] == "2027-03-04"

    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "Delivered on March 4, 2027" in page
    assert "<p>We handed 2 signatures to the minister.</p>" in page and "<p>Thank you!</p>" in page
    assert "<strong data-live-count>2</strong>" in page  # the count stays
    assert 'name="first_name"' not in page and "Help us reach" not in page
    assert "This petition is closed and no longer takes signatures." in page

    french = client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert "Nous avons remis 2 signatures au ministre." in french
    assert "Remise le 4 mars 2027" in french
    assert 'name="first_name"' not in french

    embed = client.get(f"/campaigns/{campaign}/embed").get_data(as_text=True)
    assert 'name="first_name"' not in embed and "This petition is closed" in embed


def test_a_post_to_a_closed_campaign_is_refused_with_a_message_and_stores_nothing(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    token = csrf_from(client.get(f"/campaigns/{campaign}").get_data(as_text=True))
    assert close(organiser_client, campaign, kind="won", on="") == 303

    for path in (f"/campaigns/{campaign}", f"/campaigns/{campaign}/embed"):
        response = client.post(path, data={**signature_form(), "csrf_token": token})
        assert response.status_code == 403, path
        assert "This petition is closed and no longer takes signatures." in response.get_data(
            as_text=True
        )
    assert signatures(app) == []
    assert "We won" in client.get(f"/campaigns/{campaign}").get_data(as_text=True)


def test_a_bad_outcome_is_refused_with_a_message_and_the_campaign_stays_open(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    for fields, message in (
        ({"kind": "delivered", "on": ""}, "the day the petition was delivered"),
        ({"kind": "won", "text_en": ""}, "at least in the campaign"),
        ({"kind": "surrendered"}, "Please choose what happened."),
        ({"kind": "won", "on": "not a day"}, "Not a valid date value"),
        ({"kind": "won", "on": "1850-01-01"}, "between the years 2000 and 2100"),
        ({"kind": "won", "text_en": "x" * 3001}, "at most 3000 characters"),
        ({"kind": "won", "text_en": "bell\x07ring"}, "control characters"),
    ):
        response = organiser_client.post(
            f"/organiser/campaigns/{campaign}/close",
            data=closing_form(
                organiser_client, campaign, **{"on": "2027-01-01", "text_en": "Yes", **fields}
            ),
        )
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    with app.app_context():
        assert campaign_by_slug(db.session, campaign).outcome is None
    assert 'name="first_name"' in client.get(f"/campaigns/{campaign}").get_data(as_text=True)


def test_hostile_html_in_an_outcome_is_shown_as_text(
    organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    assert close(organiser_client, campaign, text_en='<script>alert("x")</script>') == 303
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page


def test_the_outcome_can_change_and_a_campaign_closed_by_mistake_reopens(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    assert close(organiser_client, campaign) == 303
    assert close(organiser_client, campaign, kind="response", on="2027-04-01") == 303
    assert "The target responded on April 1, 2027" in client.get(f"/campaigns/{campaign}").get_data(
        as_text=True
    )

    page = organiser_client.get(f"/organiser/campaigns/{campaign}/close").get_data(as_text=True)
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/reopen",
        data={"csrf_token": csrf_from(page.split('class="reopen"')[1])},
    )
    assert response.status_code == 303

    with app.app_context():
        row = campaign_by_slug(db.session, campaign)
        assert (row.outcome, row.closes_at, row.closed_at) == (None, None, None)
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("campaign.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["campaign.closed", "campaign.outcome", "campaign.reopened"]
    assert 'name="first_name"' in client.get(f"/campaigns/{campaign}").get_data(as_text=True)


def test_closing_keeps_an_earlier_closing_time(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    earlier = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    with app.app_context():
        campaign_by_slug(db.session, campaign).closes_at = earlier
        db.session.commit()
    assert close(organiser_client, campaign) == 303
    with app.app_context():
        assert campaign_by_slug(db.session, campaign).closes_at == earlier


def test_the_dashboard_says_the_campaign_is_closed(
    organiser_client: FlaskClient, campaign: str
) -> None:
    close(organiser_client, campaign, kind="lost", on="2027-05-06")
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert "Closed: The demand was refused, on May 6, 2027." in page
