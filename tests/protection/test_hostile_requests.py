"""Hostile and malformed requests: a clear 4xx of our own, nothing stored, never a traceback."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign import create_app
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.factories import csrf_token, signature_form
from tests.helpers import count_rows, signatures


def _post_raw(client: FlaskClient, slug: str, body: bytes) -> int:
    return client.post(
        f"/campaigns/{slug}", data=body, content_type="application/x-www-form-urlencoded"
    ).status_code


def _encoded_form(client: FlaskClient, slug: str, **overrides: str) -> bytes:
    from urllib.parse import urlencode

    fields = {"csrf_token": csrf_token(client, f"/campaigns/{slug}"), **signature_form(**overrides)}
    return urlencode(fields).encode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: body.replace(b"first_name=Ada", b"first_name=A%00da"),
        lambda body: body.replace(b"first_name=Ada", b"first_name=A%FFda"),
        lambda body: body.replace(b"first_name=Ada", b"first_name=A%C3%28da"),
        lambda body: body.replace(b"last_name=Lovelace", b"last_name=Love%ED%A0%80lace"),
        lambda body: body + b"&x=%00",
    ],
    ids=["null byte", "invalid byte", "bad sequence", "surrogate", "null in unknown field"],
)
def test_null_bytes_and_invalid_utf8_get_400_and_nothing_is_stored(
    app: Flask, client: FlaskClient, campaign: str, tamper
) -> None:  # type: ignore[no-untyped-def]
    body = tamper(_encoded_form(client, campaign))
    assert _post_raw(client, campaign, body) == 400
    assert count_rows(app, Signature) == 0
    assert count_rows(app, OutboxMessage) == 0


def test_a_null_byte_in_the_query_string_gets_400(client: FlaskClient, campaign: str) -> None:
    assert client.get(f"/campaigns/{campaign}?source=a%00b").status_code == 400
    assert client.get(f"/campaigns/{campaign}?source=%ff").status_code == 400


def test_a_body_over_the_limit_gets_413_and_our_page(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    body = _encoded_form(client, campaign) + b"&padding=" + b"x" * (70 * 1024)
    response = client.post(
        f"/campaigns/{campaign}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "Too much data" in response.get_data(as_text=True)
    assert count_rows(app, Signature) == 0


def test_a_huge_field_within_the_body_limit_is_refused_by_validation(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = client.post(
        f"/campaigns/{campaign}",
        data=_encoded_form(client, campaign, first_name="x" * 50_000),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert "Please use at most 100 characters." in response.get_data(as_text=True)
    assert count_rows(app, Signature) == 0


@pytest.mark.parametrize(
    "value",
    [
        "=SUM(A1:A9)*cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "'; DROP TABLE signatures; --",
        "<img src=x onerror=alert(1)>",
        "\u202eevil\u202c",
        "Ωμέγα Ωmega 山田 Мария محمد",
    ],
)
def test_hostile_or_foreign_names_are_stored_exactly_and_never_break_the_page(
    app: Flask, client: FlaskClient, campaign: str, value: str
) -> None:
    response = client.post(
        f"/campaigns/{campaign}",
        data=_encoded_form(client, campaign, last_name=value),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    [signature] = signatures(app)
    assert signature.last_name == value


@pytest.mark.parametrize(
    ("method", "path", "code", "text"),
    [
        ("get", "/campaigns/none-such", 404, "Page not found"),
        ("put", "/campaigns/{slug}", 405, "cannot be used that way"),
        ("get", "/campaigns/{slug}?source=%00", 400, "could not understand"),
    ],
)
def test_every_error_page_is_ours(
    client: FlaskClient, campaign: str, method: str, path: str, code: int, text: str
) -> None:
    response = getattr(client, method)(path.format(slug=campaign))
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert text in page
    assert "Traceback" not in page and "werkzeug" not in page.lower()


def test_an_unexpected_error_shows_a_reference_that_is_in_the_log(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("SELECT secret FROM signatures")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not as in tests
    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/boom")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "SELECT" not in page and "Traceback" not in page
    reference = re.search(r"reference: ([0-9a-f]{12})", page)
    assert reference
    assert reference.group(1) in caplog.text


def test_a_database_outage_gets_503_with_retry_after_not_500(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
            "RATELIMIT_ENABLED": False,
        }
    )
    response = broken.test_client().get("/campaigns/anything")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.get_data(as_text=True)
