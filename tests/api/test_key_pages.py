"""Admins make, see and revoke API keys in the organisers' area."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from tests.factories import campaign_by_slug, csrf_from, login, make_organiser


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(
    app: Flask, admin_client: FlaskClient, client: FlaskClient, campaign: str
) -> None:
    page = admin_client.get("/organiser/api-keys/").get_data(as_text=True)
    assert "No key yet." in page

    response = admin_client.post(
        "/organiser/api-keys/",
        data={
            "csrf_token": csrf_from(page),
            "name": "Our CRM",
            "campaign": campaign,
            "read_only": "y",
        },
    )

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    shown = response.get_data(as_text=True)
    match = re.search(r'<code class="api-key">(cpk_[A-Za-z0-9_\-]+)</code>', shown)
    assert match, shown
    key = match.group(1)
    headers = {"OSDI-API-Token": key}
    assert client.get(f"/api/v1/petitions/{campaign}", headers=headers).status_code == 200
    listing = admin_client.get("/organiser/api-keys/").get_data(as_text=True)
    assert key not in listing and key[:12] in listing and "Read only" in listing
    assert "Our CRM" in admin_client.get("/organiser/audit").get_data(as_text=True)

    revoke = re.search(r'action="(/organiser/api-keys/\d+/revoke)"', listing)
    assert revoke
    answer = admin_client.post(revoke.group(1), data={"csrf_token": csrf_from(listing)})

    assert answer.status_code == 200 and "is revoked" in answer.get_data(as_text=True)
    assert client.get(f"/api/v1/petitions/{campaign}", headers=headers).status_code == 401


def test_a_key_needs_a_name(admin_client: FlaskClient) -> None:
    page = admin_client.get("/organiser/api-keys/").get_data(as_text=True)
    response = admin_client.post(
        "/organiser/api-keys/", data={"csrf_token": csrf_from(page), "name": " ", "campaign": ""}
    )
    assert response.status_code == 422
    assert "Please name the key." in response.get_data(as_text=True)


def test_only_admins_see_the_keys(app: Flask, client: FlaskClient, campaign: str) -> None:
    assert client.get("/organiser/api-keys/").status_code == 302  # to the login page
    with app.app_context():
        make_organiser(
            db.session, "staff@example.org", campaigns=[campaign_by_slug(db.session, campaign)]
        )
        db.session.commit()
    login(client, "staff@example.org")
    assert client.get("/organiser/api-keys/").status_code == 403
