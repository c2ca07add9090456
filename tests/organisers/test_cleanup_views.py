"""The organisers' clean-up page over HTTP: who may use it, preview, invalidate, release,
the counts following, and the audit log."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from tests.factories import add_signature, csrf_from, login, make_organiser
from tests.helpers import confirmed_count, signatures


def _attack(app: Flask, campaign_id: int) -> None:
    with app.app_context():
        add_signature(
            db.session, campaign_id, confirmed_at=utcnow(), country="BR", email="real@example.org"
        )
        for n in range(4):
            add_signature(
                db.session,
                campaign_id,
                confirmed_at=utcnow(),
                country="FR",
                email=f"bot{n}@bot-farm.example",
            )
        db.session.commit()


def test_the_clean_up_page_needs_a_login_and_access_to_the_campaign(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = client.get(f"/organiser/campaigns/{campaign}/cleanup")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login")

    with app.app_context():
        make_organiser(db.session, "other@example.org", campaigns=[])
        db.session.commit()
    other = app.test_client()
    assert login(other, "other@example.org").status_code == 303
    assert other.get(f"/organiser/campaigns/{campaign}/cleanup").status_code == 403


def test_preview_then_invalidate_by_domain_lowers_the_counts_and_is_audited(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    _attack(app, campaign_id)
    path = f"/organiser/campaigns/{campaign}/cleanup"

    page = organiser_client.get(path).get_data(as_text=True)
    assert "bot-farm.example" in page  # the busiest domains of the last hour

    preview = organiser_client.get(path, query_string={"domain": "bot-farm.example"})
    text = preview.get_data(as_text=True)
    assert "Invalidate (4)" in text

    response = organiser_client.post(
        path,
        data={"csrf_token": csrf_from(text), "action": "invalidate", "domain": "bot-farm.example"},
    )
    assert response.status_code == 302
    assert "done=invalidate:4" in response.headers["Location"]
    done = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 signatures invalidated" in done
    assert confirmed_count(app, campaign) == 1
    assert organiser_client.get(f"/campaigns/{campaign}.json").get_json()["signature_count"] == 1
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.action, event.row_count) == ("signatures.invalidate", 4)
        assert event.details == {"domain": "bot-farm.example"}
        assert event.actor == "organiser@example.org"


def test_an_empty_filter_changes_nothing(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    _attack(app, campaign_id)
    path = f"/organiser/campaigns/{campaign}/cleanup"
    token = csrf_from(organiser_client.get(path).get_data(as_text=True))
    organiser_client.post(path, data={"csrf_token": token, "action": "invalidate"})
    assert confirmed_count(app, campaign) == 5
    assert all(s.status == "confirmed" for s in signatures(app))


def test_without_a_csrf_token_nothing_happens(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    _attack(app, campaign_id)
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/cleanup",
        data={"action": "invalidate", "domain": "bot-farm.example"},
    )
    assert response.status_code == 400
    assert confirmed_count(app, campaign) == 5


def test_the_dashboard_says_when_personal_data_goes_and_how_many_deleted_themselves(
    organiser_client: FlaskClient, campaign: str
) -> None:
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert "will be removed 6 months after the campaign closes" in page
    assert "deleted by their supporters so far: 0" in page


@pytest.mark.parametrize(
    "done",
    [
        "x",
        "",
        "invalidate",
        "invalidate:",
        "invalidate:All signatures were checked and are genuine. Thank you,",
        "invalidate:-3",
        "invalidate:1e9",
        "release:<b>5</b>",
        "delete:12",
        "invalidate:12:3",
    ],
)
def test_the_outcome_banner_shows_only_an_outcome_the_page_itself_reported(
    organiser_client: FlaskClient, campaign: str, done: str
) -> None:
    """A crafted link must not make a trusted page announce something else (or fail)."""
    response = organiser_client.get(
        f"/organiser/campaigns/{campaign}/cleanup", query_string={"done": done}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="notice" role="status"' not in page
    assert "signatures invalidated" not in page and "signatures released" not in page


@pytest.mark.parametrize(
    ("done", "banner"),
    [
        ("invalidate:12", "12 signatures invalidated"),
        ("release:3", "3 signatures released"),
    ],
)
def test_a_known_outcome_is_shown(
    organiser_client: FlaskClient, campaign: str, done: str, banner: str
) -> None:
    page = organiser_client.get(
        f"/organiser/campaigns/{campaign}/cleanup", query_string={"done": done}
    ).get_data(as_text=True)
    assert banner in page
