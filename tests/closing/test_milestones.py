"""Milestones: organisers edit them, the public page raises its goal past the campaign's,
and the dashboard shows when each was passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.campaigns.milestones import Milestone, shown_goal
from campaign.extensions import db
from tests.factories import add_signature, campaign_by_slug, csrf_from, make_campaign


def milestones_form(client: FlaskClient, slug: str, **fields: str) -> dict[str, str]:
    page = client.get(f"/organiser/campaigns/{slug}/milestones").get_data(as_text=True)
    return {"csrf_token": csrf_from(page), **fields}


def add_confirmed(app: Flask, campaign_id: int, times: list[datetime]) -> None:
    with app.app_context():
        for moment in times:
            add_signature(db.session, campaign_id, confirmed_at=moment)
        db.session.commit()


def test_the_shown_goal_is_the_goal_then_the_next_milestone_then_the_highest() -> None:
    ten = Milestone(10, {"en": "we deliver it"})
    fifty = Milestone(50, {"en": "we go to Geneva"})
    assert shown_goal(5, [ten, fifty], 3).goal == 5
    assert shown_goal(5, [ten, fifty], 5).goal == 10
    assert shown_goal(5, [ten, fifty], 10).goal == 50
    assert shown_goal(5, [ten, fifty], 60).goal == 50
    assert shown_goal(10, [ten, fifty], 4).milestone == ten  # the goal is a milestone too
    assert shown_goal(5, [], 9).goal == 5


def test_an_organiser_adds_milestones_in_two_languages_and_it_is_audited(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/milestones",
        data=milestones_form(
            organiser_client,
            campaign,
            count_0="50000",
            text_en_0="  we take it to Geneva ",
            text_fr_0="nous l'apportons à Genève",
            count_1="10000",
            text_en_1="we deliver it to the ministry",
        ),
    )

    assert response.status_code == 303
    assert "Saved" in organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        row = campaign_by_slug(db.session, campaign)
        assert row.milestones == [
            {"count": 10000, "texts": {"en": "we deliver it to the ministry"}},
            {
                "count": 50000,
                "texts": {"en": "we take it to Geneva", "fr": "nous l'apportons à Genève"},
            },
        ]
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "campaign.milestones")
        ).all()
        assert (event.actor, event.details) == (
            "organiser@example.org",
            {"before": [], "after": [10000, 50000]},
        )


def test_bad_milestones_are_refused_with_a_message_and_change_nothing(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    for fields, message in (
        ({"count_0": "100", "text_en_0": ""}, "its text in the campaign"),
        ({"count_0": "0", "text_en_0": "x"}, "from 1 to 1,000,000,000"),
        ({"count_0": "lots", "text_en_0": "x"}, "Number of signatures"),
        ({"count_0": "5", "text_en_0": "a", "count_1": "5", "text_en_1": "b"}, "same number"),
        ({"count_0": "5", "text_en_0": "x" * 201}, "at most 200 characters"),
        ({"count_0": "5", "text_en_0": "bell\x07"}, "control characters"),
    ):
        response = organiser_client.post(
            f"/organiser/campaigns/{campaign}/milestones",
            data=milestones_form(organiser_client, campaign, **fields),
        )
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    with app.app_context():
        assert campaign_by_slug(db.session, campaign).milestones is None


def test_an_organiser_of_another_campaign_cannot_change_its_milestones(
    app: Flask, organiser_client: FlaskClient
) -> None:
    with app.app_context():
        other = make_campaign(db.session).slug
        db.session.commit()
    assert organiser_client.get(f"/organiser/campaigns/{other}/milestones").status_code == 403
    token = csrf_from(organiser_client.get("/organiser/").get_data(as_text=True))
    response = organiser_client.post(
        f"/organiser/campaigns/{other}/milestones",
        data={"csrf_token": token, "count_0": "5", "text_en_0": "x"},
    )
    assert response.status_code == 403


def test_past_the_goal_the_page_asks_for_the_next_milestone(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int, client: FlaskClient
) -> None:
    with app.app_context():
        campaign_by_slug(db.session, campaign).goal = 3
        db.session.commit()
    organiser_client.post(
        f"/organiser/campaigns/{campaign}/milestones",
        data=milestones_form(
            organiser_client,
            campaign,
            count_0="5",
            text_en_0="we deliver it to the ministry",
            text_fr_0="nous la remettons au ministère",
        ),
    )
    add_confirmed(app, campaign_id, [datetime.now(UTC)] * 2)
    below = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "of a goal of 3" in below and "Help us reach" not in below

    add_confirmed(app, campaign_id, [datetime.now(UTC)] * 2)  # 4: past the goal of 3

    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "of a goal of 5" in page
    assert 'max="5" value="4"' in page
    assert "We passed our goal of 3. Help us reach 5!" in page
    assert "At 5:" in page and "we deliver it to the ministry" in page
    french = client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert "nous la remettons au ministère" in french
    assert client.get(f"/campaigns/{campaign}.json").get_json()["goal"] == 5
    assert "of a goal of 5" in client.get(f"/campaigns/{campaign}/counter.svg").get_data(
        as_text=True
    )

    add_confirmed(app, campaign_id, [datetime.now(UTC)] * 2)  # 6: past every milestone
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "of a goal of 5" in page and "We reached our goal of 5. Thank you!" in page


def test_a_milestone_text_missing_in_french_falls_back_marked_with_its_language(
    app: Flask, organiser_client: FlaskClient, campaign: str, client: FlaskClient
) -> None:
    organiser_client.post(
        f"/organiser/campaigns/{campaign}/milestones",
        data=milestones_form(organiser_client, campaign, count_0="1000", text_en_0="Geneva"),
    )
    page = client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert '<span lang="en">Geneva</span>' in page


def test_the_dashboard_shows_when_the_goal_and_each_milestone_were_passed(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        campaign_by_slug(db.session, campaign).goal = 2
        db.session.commit()
    organiser_client.post(
        f"/organiser/campaigns/{campaign}/milestones",
        data=milestones_form(
            organiser_client,
            campaign,
            count_0="4",
            text_en_0="we deliver it",
            count_1="100",
            text_en_1="we go to Geneva",
        ),
    )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    times = [
        start,
        start + timedelta(hours=1),  # the 2nd: the goal
        start + timedelta(days=1),
        start + timedelta(days=2, minutes=7),  # the 4th: the first milestone
        start + timedelta(days=2, minutes=9),
    ]
    add_confirmed(app, campaign_id, times)
    with app.app_context():  # one held as suspect does not count, so it does not move a time
        suspect = add_signature(db.session, campaign_id, confirmed_at=start + timedelta(minutes=1))
        suspect.suspect = True
        db.session.commit()

    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    section = page.split('id="milestones-heading"')[1].split("</section>")[0]
    rows = section.split("<tbody>")[1].split("</tr>")
    assert "The goal" in rows[0] and (start + timedelta(hours=1)).isoformat() in rows[0]
    assert "we deliver it" in rows[1]
    assert (start + timedelta(days=2, minutes=7)).isoformat() in rows[1]
    assert "we go to Geneva" in rows[2] and "Not yet" in rows[2]
