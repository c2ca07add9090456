"""Security headers on every response, and secure cookies."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign import create_app
from campaign.protection.headers import has_token_in_url, token_in_url
from tests.factories import sign
from tests.helpers import confirmation_path


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/{slug}",
        "/campaigns/{slug}.json",
        "/campaigns/{slug}/signed",
        "/healthz",
        "/campaigns/none-such",
        "/static/site.css",
    ],
)
def test_every_response_carries_the_security_headers(
    client: FlaskClient, campaign: str, path: str
) -> None:
    with client.get(path.format(slug=campaign)) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(client: FlaskClient, campaign: str) -> None:
    for path in (f"/campaigns/{campaign}", f"/campaigns/{campaign}/signed", "/nope"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " style=" not in page and "<style" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path  # no inline event handlers


def test_pages_whose_url_carries_a_token_send_no_referrer_and_are_never_cached(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)
    for response in (client.get(path), client.post(path), client.get("/confirm/made-up")):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_form_page_is_never_cached_and_the_tally_briefly(
    client: FlaskClient, campaign: str
) -> None:
    assert client.get(f"/campaigns/{campaign}").headers["Cache-Control"] == "no-store"
    json_cache = client.get(f"/campaigns/{campaign}.json").headers["Cache-Control"]
    assert "max-age=5" in json_cache and "stale-while-revalidate" in json_cache


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_over_https(
    client: FlaskClient, campaign: str
) -> None:
    # The tests' PUBLIC_URL is https://petition.example.org.
    response = client.get(f"/campaigns/{campaign}", base_url="https://petition.example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_over_plain_http_cookies_are_not_secure_and_no_hsts(
    make_app: Callable[..., Flask], campaign: str
) -> None:
    plain = make_app(PUBLIC_URL="http://127.0.0.1:5000").test_client()
    response = plain.get(f"/campaigns/{campaign}")
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_a_view_marked_token_in_url_keeps_its_protection_under_any_endpoint_name() -> None:
    """The mark is on the view itself: renaming the endpoint (or the function) cannot drop it."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @token_in_url
    def secret_page(token: str) -> str:
        return "ok"

    def plain_page() -> str:
        return "ok"

    app.add_url_rule("/probe/<token>", endpoint="a.name.nobody.listed", view_func=secret_page)
    app.add_url_rule("/plain", endpoint="plain", view_func=plain_page)
    client = app.test_client()

    marked = client.get("/probe/s3cret")
    assert marked.headers["Referrer-Policy"] == "no-referrer"
    assert marked.headers["Cache-Control"] == "no-store"
    plain = client.get("/plain")
    assert plain.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Cache-Control" not in plain.headers


def test_every_view_with_a_token_in_its_url_is_marked(app: Flask) -> None:
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if "<token>" in rule.rule:
                assert has_token_in_url(rule.endpoint), rule.endpoint
