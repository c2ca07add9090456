"""Recording a signature through the API: the web form's rules and double opt-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign.extensions import db
from tests.factories import campaign_by_slug
from tests.helpers import confirmation_path, confirmed_count, email_text, outbox, signatures

Api = Callable[..., TestResponse]


def _body(**person: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "given_name": " Grace ",
        "family_name": "Hopper",
        "email_addresses": [{"address": "Grace@Example.org", "primary": True}],
        "postal_addresses": [{"postal_code": "10001", "country": "us"}],
    }
    values.update(person)
    return {"person": values, "referrer_data": {"source": "Partner-Site"}}


def test_a_recorded_signature_is_pending_until_the_person_confirms_by_email(
    app: Flask, client: FlaskClient, api: Api, campaign: str
) -> None:
    response = api("POST", f"/petitions/{campaign}/signatures", json=_body(languages_spoken=["fr"]))

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["status"] == "pending" and body["action_date"] is None
    assert body["person"]["given_name"] == "Grace"  # trimmed, as the form does
    assert body["person"]["postal_addresses"] == [{"postal_code": "10001", "country": "US"}]
    assert body["person"]["email_addresses"][0]["status"] == "unsubscribed"  # never asked
    assert body["referrer_data"] == {"source": "partner-site"}
    assert confirmed_count(app, campaign) == 0
    [message] = outbox(app)
    assert message.recipient == "Grace@example.org" and message.locale == "fr"  # domain folded
    assert "Confirmez" in email_text(app) or "confirm" in email_text(app).lower()
    assert api("GET", f"/petitions/{campaign}/signatures").get_json()["total_records"] == 0

    assert client.post(confirmation_path(app)).status_code == 200

    assert confirmed_count(app, campaign) == 1
    [listed] = api("GET", f"/petitions/{campaign}/signatures").get_json()["_embedded"][
        "osdi:signatures"
    ]
    assert listed["identifiers"] == body["identifiers"] and listed["status"] == "confirmed"


def test_recording_the_same_person_twice_makes_one_signature(
    app: Flask, api: Api, campaign: str
) -> None:
    assert api("POST", f"/petitions/{campaign}/signatures", json=_body()).status_code == 201
    again = api(
        "POST",
        f"/petitions/{campaign}/signatures",
        json=_body(email_addresses=[{"address": "grace@example.org", "status": "subscribed"}]),
    )

    assert again.status_code == 200
    assert len(signatures(app)) == 1 and len(outbox(app)) == 2  # a second link, no second row


def test_news_only_when_the_caller_says_the_person_subscribed(
    app: Flask, api: Api, campaign: str
) -> None:
    body = _body(email_addresses=[{"address": "grace@example.org", "status": "subscribed"}])
    api("POST", f"/petitions/{campaign}/signatures", json=body)
    assert signatures(app)[0].opt_in is True


def test_field_errors_come_back_as_json_by_their_place_in_the_body(
    app: Flask, api: Api, campaign: str
) -> None:
    response = api(
        "POST",
        f"/petitions/{campaign}/signatures",
        json=_body(
            given_name="",
            family_name="Visit www.spam.com",
            email_addresses=[{"address": "not-an-address"}],
            postal_addresses=[{"country": "XX", "postal_code": 12}],
        ),
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json(force=True)["errors"]
    assert set(errors) == {
        "person.given_name",
        "person.family_name",
        "person.email_addresses[0].address",
        "person.postal_addresses[0].country",
        "person.postal_addresses[0].postal_code",
    }
    assert signatures(app) == [] and outbox(app) == []


def test_errors_in_the_persons_language(api: Api, campaign: str) -> None:
    response = api(
        "POST",
        f"/petitions/{campaign}/signatures",
        json=_body(given_name="", languages_spoken=["fr"]),
    )
    assert response.get_json(force=True)["errors"]["person.given_name"] == [
        "Veuillez saisir votre prénom."
    ]


def test_malformed_json_is_400_and_a_missing_person_is_422(api: Api, campaign: str) -> None:
    path = f"/petitions/{campaign}/signatures"
    bad = api("POST", path, data="{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert api("POST", path, json=["a list"]).status_code == 422
    assert api("POST", path, json={"person": "Grace"}).status_code == 422
    assert api("POST", path, json={"person": {"email_addresses": "x"}}).status_code == 422


def test_a_paused_petition_records_nothing(app: Flask, api: Api, campaign: str) -> None:
    with app.app_context():
        campaign_by_slug(db.session, campaign).signing_paused = True
        db.session.commit()

    response = api("POST", f"/petitions/{campaign}/signatures", json=_body())

    assert response.status_code == 409
    assert signatures(app) == []
