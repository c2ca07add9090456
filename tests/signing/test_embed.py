"""The embeddable form and the counter: framed only by the campaign's origins, signing by
the same rules inside the frame, and a badge safe anywhere."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from tests.factories import campaign_by_slug, signature_form
from tests.helpers import confirmation_path, confirmed_count, outbox, signatures

ORIGINS = "https://partner.example.net\nhttps://www.our-ngo.example.org"


@pytest.fixture
def embeddable(app: Flask, campaign: str) -> str:
    with app.app_context():
        campaign_by_slug(db.session, campaign).embed_origins = ORIGINS
        db.session.commit()
    return campaign


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the embedded form has no token"
    return match.group(1)


def test_only_the_campaigns_origins_may_frame_the_embedded_form(
    client: FlaskClient, embeddable: str
) -> None:
    response = client.get(f"/campaigns/{embeddable}/embed")

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://partner.example.net https://www.our-ngo.example.org" in policy
    assert "X-Frame-Options" not in response.headers
    page = response.get_data(as_text=True)
    assert 'class="site-header"' not in page and "Sign the petition" in page
    assert 'target="_blank"' in page  # the privacy notice opens outside the frame


@pytest.mark.parametrize(
    "path", ["/campaigns/{slug}", "/campaigns/{slug}/signed", "/privacy", "/organiser/login"]
)
def test_every_other_page_keeps_refusing_to_be_framed(
    client: FlaskClient, embeddable: str, path: str
) -> None:
    response = client.get(path.format(slug=embeddable))
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_campaign_without_origins_cannot_be_framed_at_all(
    client: FlaskClient, campaign: str
) -> None:
    response = client.get(f"/campaigns/{campaign}/embed")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_signing_in_the_frame_needs_no_cookie_and_stays_in_the_frame(
    app: Flask, embeddable: str
) -> None:
    # A third-party frame gets no session cookie: two clients, as two requests would be.
    page = app.test_client().get(f"/campaigns/{embeddable}/embed?lang=fr").get_data(as_text=True)
    fresh = app.test_client(use_cookies=False)

    response = fresh.post(
        f"/campaigns/{embeddable}/embed?lang=fr",
        data={**signature_form(), "csrf_token": _token(page), "source": "partner"},
    )

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/campaigns/{embeddable}/embed/signed")
    after = fresh.get(response.headers["Location"])
    assert "frame-ancestors https://partner.example.net" in after.headers["Content-Security-Policy"]
    assert "consultez vos e-mails" in after.get_data(as_text=True)  # in the signer's language
    [signature] = signatures(app)
    assert signature.status == "pending" and signature.locale == "fr"
    assert signature.source == "partner"
    assert confirmed_count(app, embeddable) == 0
    assert fresh.post(confirmation_path(app)).status_code == 200
    assert confirmed_count(app, embeddable) == 1
    assert len(outbox(app)) == 1


def test_the_embedded_form_checks_fields_and_its_token(app: Flask, embeddable: str) -> None:
    client = app.test_client(use_cookies=False)
    page = client.get(f"/campaigns/{embeddable}/embed").get_data(as_text=True)

    wrong = client.post(
        f"/campaigns/{embeddable}/embed",
        data={**signature_form(email="nope"), "csrf_token": _token(page)},
    )
    forged = client.post(
        f"/campaigns/{embeddable}/embed", data={**signature_form(), "csrf_token": "made-up"}
    )

    assert wrong.status_code == 422 and "valid email address" in wrong.get_data(as_text=True)
    assert "frame-ancestors https://partner.example.net" in wrong.headers["Content-Security-Policy"]
    assert forged.status_code == 400 and "session expired" in forged.get_data(as_text=True)
    assert signatures(app) == []


def test_the_embedded_form_refuses_a_post_another_site_made(app: Flask, embeddable: str) -> None:
    # The token is public (any GET has one): the browser's word on who sent the post is what
    # stops another site from making its visitors sign. The frame itself posts from us.
    client = app.test_client(use_cookies=False)
    page = client.get(f"/campaigns/{embeddable}/embed").get_data(as_text=True)
    data = {**signature_form(), "csrf_token": _token(page)}

    refused = client.post(
        f"/campaigns/{embeddable}/embed",
        data=data,
        headers={"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    assert "another website" in refused.get_data(as_text=True)
    assert signatures(app) == []

    accepted = client.post(
        f"/campaigns/{embeddable}/embed",
        data=data,
        headers={"Origin": "https://petition.example.org", "Sec-Fetch-Site": "same-origin"},
    )
    assert accepted.status_code == 303
    assert len(signatures(app)) == 1


def test_the_counter_is_an_accessible_svg_without_script_cacheable_for_a_minute(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = client.get(f"/campaigns/{campaign}/counter.svg?lang=fr")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    svg = ElementTree.fromstring(response.data)  # noqa: S314 (our own response)
    assert svg.get("role") == "img"
    title = svg.find("{http://www.w3.org/2000/svg}title")
    assert title is not None
    number = campaign.removeprefix("test-campaign-")
    assert title.text == f"0 signature sur un objectif de 1\u202f000 : Test campaign {number}"
    assert b"<script" not in response.data and b"onload" not in response.data
    assert client.get("/campaigns/nope/counter.svg").status_code == 404
