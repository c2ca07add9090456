"""The team page (admins): roles change, audited, and the team always keeps an admin."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from tests.factories import login
from tests.organisers.accounts_helpers import post_form
from tests.organisers.test_second_factor import actions


def test_an_admin_changes_a_role_audited_but_never_leaves_the_team_without_an_admin(
    app: Flask, admin: str, admin_client: FlaskClient, organiser: str
) -> None:
    from campaign.organisers.services import find_organiser

    with app.app_context():
        ids = {email: find_organiser(db.session, email).id for email in (admin, organiser)}  # type: ignore[union-attr]

    made = post_form(
        admin_client, "/organiser/team", f"/organiser/team/{ids[organiser]}/role", {"role": "admin"}
    )
    assert made.status_code == 303
    assert "organiser.role" in actions(app)
    colleague = app.test_client()
    login(colleague, organiser)
    assert colleague.get("/organiser/team").status_code == 200

    # Two admins: one may step down; the last one may not.
    assert (
        post_form(
            admin_client,
            "/organiser/team",
            f"/organiser/team/{ids[organiser]}/role",
            {"role": "organiser"},
        ).status_code
        == 303
    )
    refused = post_form(
        admin_client, "/organiser/team", f"/organiser/team/{ids[admin]}/role", {"role": "organiser"}
    )
    assert refused.status_code == 422
    assert "at least one active admin" in refused.get_data(as_text=True)
