"""Logging in and out: one generic answer, safe redirects, sessions that end."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from campaign import create_app
from campaign.extensions import db
from campaign.organisers import passwords
from campaign.organisers.auth import LOGIN_AT
from tests.factories import PASSWORD, csrf_from, login, make_organiser

ROOT = Path(__file__).resolve().parents[2]


def test_the_right_password_logs_in_and_opens_the_campaign_list(
    client: FlaskClient, organiser: str
) -> None:
    response = login(client, organiser)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"
    page = client.get("/organiser/").get_data(as_text=True)
    assert "Logged in as organiser@example.org" in page
    assert "Test campaign" in page


def test_an_unknown_address_a_wrong_password_and_a_deactivated_account_get_the_same_answer(
    app: Flask, organiser: str
) -> None:
    with app.app_context():
        make_organiser(db.session, "former@example.org", active=False)
        db.session.commit()

    answers = [
        login(app.test_client(), email, password)
        for email, password in [
            ("nobody@example.org", PASSWORD),
            (organiser, "not the right password"),
            ("former@example.org", PASSWORD),
        ]
    ]

    assert {answer.status_code for answer in answers} == {422}
    # The same page, but for the address typed (kept in the form) and the CSRF token.
    pages = {
        csrf_free(answer.get_data(as_text=True)).replace(email, "EMAIL")
        for answer, email in zip(
            answers, ["nobody@example.org", organiser, "former@example.org"], strict=True
        )
    }
    assert len(pages) == 1
    assert "Wrong email address or password." in pages.pop()


def csrf_free(page: str) -> str:
    return page.replace(csrf_from(page), "")


def test_an_unknown_address_costs_one_argon2_verification_like_a_wrong_password(
    app: Flask, organiser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answer's timing must not tell which addresses have accounts: both paths do the
    # same expensive work (the verifications still run; they are only counted).
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        calls.append(hash[:9])
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    login(app.test_client(), "nobody@example.org", "some password here")
    unknown = list(calls)
    calls.clear()
    login(app.test_client(), organiser, "some password here")

    assert unknown == calls == ["$argon2id"]


def test_the_form_shows_what_is_missing(client: FlaskClient) -> None:
    response = login(client, "", "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please enter your email address." in page
    assert "Please enter your password." in page


def test_a_login_without_its_csrf_token_is_refused_and_the_form_shown_again(
    client: FlaskClient, organiser: str
) -> None:
    response = client.post(
        "/organiser/login", data={"email": organiser, "password": PASSWORD, "next": ""}
    )
    assert response.status_code == 400
    assert "Your session expired" in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302


class CountingHasher(PasswordHasher):
    """The real Argon2id hasher (cheap parameters, as in every test), counting verifications."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        type(self).verified += 1
        return super().verify(hash, password)


def test_a_huge_password_is_refused_without_hashing_it(
    client: FlaskClient, organiser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CountingHasher, "verified", 0)
    monkeypatch.setattr(
        passwords, "_hasher", CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    assert login(client, organiser, "a wrong password").status_code == 422
    assert CountingHasher.verified == 1  # an ordinary wrong password is hashed

    response = login(client, organiser, "x" * 60_000)

    assert response.status_code in (413, 422)
    assert CountingHasher.verified == 1  # the huge one was not
    if response.status_code == 422:
        assert "That password is too long." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "/organiser/campaigns/test?tab=exports",
        "/organiser/audit",
    ],
)
def test_after_login_next_leads_to_a_page_of_this_site(
    client: FlaskClient, organiser: str, target: str
) -> None:
    response = login(client, organiser, next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/organiser/",
        "/\\evil.example",
        "\\\\evil.example",
        "/organiser/\\..\\evil",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
        "/\t/evil.example",
        "/organiser/\r\nSet-Cookie: x=1",
        "evil.example",
        "/" + "a" * 3000,
    ],
)
def test_after_login_a_next_that_leaves_the_site_is_ignored(
    client: FlaskClient, organiser: str, target: str
) -> None:
    response = login(client, organiser, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"


def test_a_hostile_next_in_the_login_link_never_reaches_the_form(client: FlaskClient) -> None:
    response = client.get("/organiser/login?next=https://evil.example/&lang=fr")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/login?lang=fr"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "evil.example" not in page


def test_a_page_asked_for_before_login_is_shown_after_it(
    client: FlaskClient, organiser: str, campaign: str
) -> None:
    response = client.get(f"/organiser/campaigns/{campaign}?x=1")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/organiser/login?next=")

    page = client.get(login_url).get_data(as_text=True)
    next_value = page.split('name="next" type="hidden" value="')[1].split('"')[0]
    response = login(client, organiser, next_url=next_value.replace("&amp;", "&"))

    assert response.headers["Location"] == f"/organiser/campaigns/{campaign}?x=1"


def test_logout_is_a_post_with_a_csrf_token(organiser_client: FlaskClient) -> None:
    assert organiser_client.get("/organiser/logout").status_code == 405
    assert organiser_client.post("/organiser/logout").status_code == 400  # no token
    assert organiser_client.get("/organiser/").status_code == 200

    page = organiser_client.get("/organiser/").get_data(as_text=True)
    response = organiser_client.post("/organiser/logout", data={"csrf_token": csrf_from(page)})

    assert response.status_code == 303
    assert organiser_client.get("/organiser/").status_code == 302


def test_the_session_cookie_is_httponly_samesite_lax_secure_and_lasts_a_working_day(
    app: Flask, organiser: str
) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True  # what PUBLIC_URL=https:// sets (next test)
    client = app.test_client()

    response = login(client, organiser)

    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    session_cookie = cookies["session"]
    for flag in ("HttpOnly", "SameSite=Lax", "Secure"):
        assert flag in session_cookie
    expires = parsedate_to_datetime(session_cookie.split("Expires=")[1].split(";")[0])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert 8.9 < hours <= 9
    for flag in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/organiser"):
        assert flag in cookies["organiser_browser"]


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://petition.example.org", "True"), ("http://127.0.0.1:5000", "False")],
)
def test_cookies_are_secure_exactly_when_public_url_is_https(public_url: str, secure: str) -> None:
    made = create_app({"TESTING": True, "PUBLIC_URL": public_url})
    assert str(made.config["SESSION_COOKIE_SECURE"]) == secure
    assert made.config["SESSION_COOKIE_HTTPONLY"] is True
    assert made.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_login_ends_after_a_working_day_however_active(organiser_client: FlaskClient) -> None:
    assert organiser_client.get("/organiser/").status_code == 200
    with organiser_client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time()) - 9 * 3600 - 1

    response = organiser_client.get("/organiser/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login")


def test_a_forged_session_id_is_not_a_login(app: Flask, organiser: str) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0000000000000000"
        session[LOGIN_AT] = int(time.time())
    assert client.get("/organiser/").status_code == 302


def test_logging_in_again_while_logged_in_goes_to_the_dashboard(
    organiser_client: FlaskClient,
) -> None:
    response = organiser_client.get("/organiser/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"


def test_organiser_pages_are_never_cached_nor_indexed(organiser_client: FlaskClient) -> None:
    for path in ("/organiser/login", "/organiser/"):
        response = organiser_client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex"


def test_every_staff_response_csv_included_is_never_cached_nor_indexed(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    staff_paths = [
        re.sub(r"<int:\w+>", "1", rule.rule.replace("<slug>", campaign))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/organiser") and "GET" in (rule.methods or ())
    ]
    assert f"/organiser/campaigns/{campaign}/signatures.csv" in staff_paths
    for path in staff_paths:
        response = organiser_client.get(path)
        response.close()
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Robots-Tag"] == "noindex", path
