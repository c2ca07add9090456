"""Hostile and malformed requests: a clear 4xx of our own, nothing stored, never a traceback."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from campaign import create_app
from campaign.extensions import db
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


# Bodies that are not a form: refused before any view, any validator or any limit.


def _signing_fields(client: FlaskClient, slug: str, **overrides: object) -> dict[str, object]:
    return {"csrf_token": csrf_token(client, f"/campaigns/{slug}"), **signature_form(), **overrides}


@pytest.mark.parametrize(
    "first_name",
    [12345, {"a": 1}, ["Ada", "Ada"], True, None, "Ada", "\ud800"],
    ids=["number", "object", "list", "true", "null", "plain text", "lone surrogate"],
)
def test_a_json_body_is_refused_with_415_and_nothing_is_stored(
    app: Flask, client: FlaskClient, campaign: str, first_name: object
) -> None:
    response = client.post(
        f"/campaigns/{campaign}", json=_signing_fields(client, campaign, first_name=first_name)
    )
    assert response.status_code == 415
    assert "Traceback" not in response.get_data(as_text=True)
    assert count_rows(app, Signature) == 0
    assert count_rows(app, OutboxMessage) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_other_body_types_are_refused_with_415(
    app: Flask, client: FlaskClient, campaign: str, content_type: str
) -> None:
    body = _encoded_form(client, campaign)
    response = client.post(f"/campaigns/{campaign}", data=body, content_type=content_type)
    assert response.status_code == 415
    assert count_rows(app, Signature) == 0


def test_a_file_part_in_a_multipart_form_is_refused_with_400(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    fields = _signing_fields(client, campaign)
    fields["first_name"] = (io.BytesIO(b"Ada"), "name.txt")
    response = client.post(
        f"/campaigns/{campaign}", data=fields, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert count_rows(app, Signature) == 0


def test_a_multipart_form_of_text_fields_still_signs(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    response = client.post(
        f"/campaigns/{campaign}",
        data=_signing_fields(client, campaign),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert count_rows(app, Signature) == 1


def test_the_domain_limit_cannot_be_dodged_with_a_json_body(
    make_app: Callable[..., Flask], campaign: str
) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_PER_DOMAIN="2/minute")
    client = limited.test_client()
    statuses = [
        client.post(
            f"/campaigns/{campaign}",
            json=_signing_fields(client, campaign, email=f"p{n}@bot-farm.example"),
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [415] * 4
    assert count_rows(limited, Signature) == 0


# The path: null bytes and slugs that cannot be a campaign's.


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/{slug}%00",
        "/campaigns/{slug}%00.json",
        "/campaigns/{slug}%00/signed",
        "/organiser/campaigns/{slug}%00",
        "/organiser/campaigns/{slug}%00/signatures.csv",
        "/confirm/abc%00",
        "/campaigns/{slug}%FF",
    ],
)
def test_a_null_byte_or_invalid_utf8_in_the_path_gets_400_and_no_traceback(
    app: Flask, client: FlaskClient, campaign: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a failure would be a 500
    caplog.set_level(logging.ERROR)
    response = client.get(path.format(slug=campaign))
    assert response.status_code == 400
    assert "could not understand" in response.get_data(as_text=True)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "slug", ["UPPER", "under_score", "dots.and.more", "-leading", "x" * 65, "café", "a b"]
)
@pytest.mark.parametrize("suffix", ["", ".json", "/signed"])
def test_a_slug_outside_the_pattern_gets_404_without_a_query(
    app: Flask, client: FlaskClient, campaign: str, slug: str, suffix: str
) -> None:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/campaigns/{quote(slug)}{suffix}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    # Only the organisation's name for the page header may be read (on a connection of its
    # own, once per TALLY_CACHE_SECONDS in a process, whatever the URL): nothing about the
    # slug reaches the database.
    assert [s for s in statements if "organisation_identity" not in s and s != "BEGIN"] == []


# `/` and the login page forward only what they mean to, and redirect relatively.


@pytest.mark.parametrize(
    "query",
    [
        "slug=other",
        "_external=1",
        "_external=1&_scheme=https",
        "_anchor=x",
        "_method=POST",
        "endpoint=x",
    ],
)
def test_the_front_page_forwards_only_source_and_lang(
    client: FlaskClient, campaign: str, query: str
) -> None:
    response = client.get(
        f"/?{query}&source=newsletter&lang=fr", headers={"Host": "attacker.example"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/campaigns/{campaign}?source=newsletter&lang=fr"


@pytest.mark.parametrize("query", ["_external=1", "_scheme=https&_external=1", "_anchor=x"])
def test_the_login_page_dropping_a_bad_next_keeps_only_the_language(
    client: FlaskClient, query: str
) -> None:
    response = client.get(
        f"/organiser/login?next=https://evil.example/&{query}&lang=fr",
        headers={"Host": "attacker.example"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/login?lang=fr"


# HEAD is GET without the body (uptime checks).


@pytest.mark.parametrize("path", ["/campaigns/{slug}", "/organiser/login", "/"])
def test_head_answers_like_get_without_a_body(
    client: FlaskClient, campaign: str, path: str
) -> None:
    get = client.get(path.format(slug=campaign))
    head = client.head(path.format(slug=campaign))
    assert head.status_code == get.status_code
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.data == b""


# A chunked body (no Content-Length) over the limit is refused like one with a length.


def _post_chunked(client: FlaskClient, slug: str, body: bytes) -> int:
    """As a server that handles chunked requests (gunicorn, Werkzeug's) hands the body on:
    `Transfer-Encoding: chunked` (which overrides any length), and `wsgi.input_terminated`
    to say the stream ends by itself. tests/test_live_server.py sends it over the wire."""
    return client.post(
        f"/campaigns/{slug}",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    ).status_code


def test_a_chunked_body_over_the_limit_gets_413_and_nothing_is_stored(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    body = _encoded_form(client, campaign) + b"&padding=" + b"x" * (70 * 1024)
    assert _post_chunked(client, campaign, body) == 413
    assert count_rows(app, Signature) == 0


def test_a_chunked_body_within_the_limit_signs(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    assert _post_chunked(client, campaign, _encoded_form(client, campaign)) == 303
    assert count_rows(app, Signature) == 1
