"""Who may see what: anonymous visitors, other campaigns' organisers, deactivated accounts."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from campaign.organisers.models import Organiser
from tests.factories import login, make_campaign, make_organiser

PAGES = [
    "/organiser/campaigns/{slug}",
    "/organiser/campaigns/{slug}/settings",
    "/organiser/campaigns/{slug}/report",
    "/organiser/campaigns/{slug}/signatures.csv",
    "/organiser/campaigns/{slug}/signatures.csv?opt_in=true",
    "/organiser/campaigns/{slug}/tallies.csv",
    "/organiser/campaigns/{slug}/tallies.csv?by=day",
]


@pytest.mark.parametrize("page", ["/organiser/", "/organiser/audit", *PAGES])
def test_anyone_not_logged_in_is_sent_to_the_login_page(
    client: FlaskClient, campaign: str, page: str
) -> None:
    response = client.get(page.format(slug=campaign))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login?next=")


def test_posting_settings_without_logging_in_changes_nothing(
    client: FlaskClient, campaign: str
) -> None:
    response = client.post(f"/organiser/campaigns/{campaign}/settings", data={"goal": "1"})
    assert response.status_code in (302, 400)
    assert "1000" in client.get(f"/campaigns/{campaign}.json").get_data(as_text=True)


@pytest.fixture
def other_campaign(app: Flask) -> str:
    with app.app_context():
        slug = make_campaign(db.session, title="Someone else's campaign").slug
        db.session.commit()
    return slug


@pytest.mark.parametrize("page", PAGES)
def test_an_organiser_gets_403_for_a_campaign_that_is_not_theirs(
    organiser_client: FlaskClient, other_campaign: str, page: str
) -> None:
    response = organiser_client.get(page.format(slug=other_campaign))
    assert response.status_code == 403
    assert "You are not allowed to see this page." in response.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_campaign_is_404(organiser_client: FlaskClient, page: str) -> None:
    assert organiser_client.get(page.format(slug="no-such-campaign")).status_code == 404


def test_the_campaign_list_shows_only_the_organisers_campaigns(
    organiser_client: FlaskClient, other_campaign: str
) -> None:
    page = organiser_client.get("/organiser/").get_data(as_text=True)
    assert "Test campaign" in page
    assert "Someone else" not in page


def test_an_admin_sees_every_campaign_and_may_open_each(
    admin_client: FlaskClient, campaign: str, other_campaign: str
) -> None:
    page = admin_client.get("/organiser/").get_data(as_text=True)
    assert "Test campaign" in page and "Someone else" in page
    for slug in (campaign, other_campaign):
        for path in PAGES:
            response = admin_client.get(path.format(slug=slug))
            assert response.status_code == 200, path
            response.close()


def test_only_admins_see_the_audit_log(
    organiser_client: FlaskClient, admin_client: FlaskClient
) -> None:
    assert organiser_client.get("/organiser/audit").status_code == 403
    assert admin_client.get("/organiser/audit").status_code == 200
    assert "Audit log" not in organiser_client.get("/organiser/").get_data(as_text=True)


def test_a_deactivated_account_is_logged_out_at_its_next_request(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    assert organiser_client.get(f"/organiser/campaigns/{campaign}").status_code == 200
    with app.app_context():
        account = db.session.query(Organiser).filter_by(email="organiser@example.org").one()
        account.active = False
        db.session.commit()

    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login")


def test_an_organiser_with_no_campaign_is_told_how_to_get_one(app: Flask) -> None:
    with app.app_context():
        make_organiser(db.session, "new@example.org")
        db.session.commit()
    client = app.test_client()
    login(client, "new@example.org")
    assert "You have no campaign yet" in client.get("/organiser/").get_data(as_text=True)
