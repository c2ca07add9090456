"""Organisers upload a paper sheet for their campaign in the organisers' area."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from tests.factories import csrf_from, make_campaign
from tests.helpers import confirmed_count, signatures

SHEET = b"first_name,last_name,email,country,postcode\r\nRosa,Parks,,US,36104\r\n"


def _upload(client: FlaskClient, slug: str, content: bytes) -> tuple[int, str]:
    page = client.get(f"/organiser/campaigns/{slug}/paper").get_data(as_text=True)
    response = client.post(
        f"/organiser/campaigns/{slug}/paper",
        data={
            "csrf_token": csrf_from(page),
            "source": "stall-lyon",
            "sheet": (io.BytesIO(content), "market.csv"),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_an_organiser_uploads_a_sheet_and_the_count_rises_at_once(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    status, page = _upload(organiser_client, campaign, SHEET)

    assert status == 200, page
    assert "1 signature imported and counted. 0 were already there." in page
    assert confirmed_count(app, campaign) == 1
    assert signatures(app)[0].source == "stall-lyon"
    audit_page = _upload(organiser_client, campaign, SHEET)[1]
    assert "0 signatures imported and counted. 1 was already there." in audit_page


def test_a_bad_sheet_imports_nothing_and_lists_each_bad_line(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    status, page = _upload(organiser_client, campaign, SHEET + b"Bad,Row,,QQ,\r\n")

    assert status == 422
    assert "Nothing was imported" in page and "Line 3:" in page and "country:" in page
    assert signatures(app) == []


def test_an_organiser_cannot_import_into_another_campaign(
    app: Flask, organiser_client: FlaskClient
) -> None:
    with app.app_context():
        other = make_campaign(db.session).slug
        db.session.commit()
    assert organiser_client.get(f"/organiser/campaigns/{other}/paper").status_code == 403
