"""The campaign page and its JSON may be kept by any shared cache, and the form still works
without a cookie: a signed, time-limited form token, and cross-site posts refused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign import http_cache
from campaign.protection.form_token import FormTokenCheck, check_form_token, issue_form_token
from campaign.signing.models import Signature
from tests.factories import (
    PASSWORD,
    csrf_from,
    csrf_token,
    login,
    make_organiser,
    signature_form,
)
from tests.helpers import count_rows, signatures

SECRET = "test-secret-key"  # the tests' SECRET_KEY (tests/conftest.py)


def _max_age(cache_control: str) -> int:
    ages = [int(n) for n in re.findall(r"(?:s-maxage|max-age)=(\d+)", cache_control)]
    return min(ages)


def _assert_public(response: TestResponse) -> None:
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public")
    assert "private" not in cache_control and "no-store" not in cache_control
    assert _max_age(cache_control) >= 30
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


@pytest.fixture
def cached_app(make_app: Callable[..., Flask]) -> Flask:
    """The app with its in-process page cache on, as in production."""
    return make_app(TALLY_CACHE_SECONDS=60)


def test_the_page_is_public_without_a_cookie_and_the_same_bytes_for_every_visitor(
    cached_app: Flask, campaign: str
) -> None:
    path = f"/campaigns/{campaign}?source=newsletter"
    english = {"Accept-Language": "en-GB,en;q=0.8"}
    first = cached_app.test_client().get(path, headers=english)
    second = cached_app.test_client().get(path, headers=english)
    for response in (first, second):
        assert response.status_code == 200
        _assert_public(response)
        # The language follows the header here: caches must key on it.
        assert "Accept-Language" in response.headers["Vary"]
    assert first.get_data() == second.get_data()
    assert 'lang="en"' in first.get_data(as_text=True)

    french = cached_app.test_client().get(path, headers={"Accept-Language": "fr"})
    _assert_public(french)
    assert 'lang="fr"' in french.get_data(as_text=True)

    # `?lang=` decides alone: the URL is the whole cache key, no Vary needed.
    chosen = cached_app.test_client().get(path + "&lang=fr", headers=english)
    _assert_public(chosen)
    assert "Accept-Language" not in chosen.headers.get("Vary", "")
    assert 'lang="fr"' in chosen.get_data(as_text=True)


def test_the_json_is_public_without_a_cookie(client: FlaskClient, campaign: str) -> None:
    response = client.get(f"/campaigns/{campaign}.json", headers={"Accept-Language": "fr"})
    _assert_public(response)
    assert "Accept-Language" not in response.headers.get("Vary", "")
    assert response.get_json()["slug"] == campaign


def test_a_logged_in_organiser_gets_the_same_public_page_and_no_cookie(
    app: Flask, cached_app: Flask, campaign: str
) -> None:
    from campaign.extensions import db

    with app.app_context():
        email = make_organiser(db.session, "staff@example.org").email
        db.session.commit()
    visitor = cached_app.test_client().get(f"/campaigns/{campaign}")
    organiser = cached_app.test_client()
    assert login(organiser, email).status_code == 303
    page = organiser.get(f"/campaigns/{campaign}")
    _assert_public(page)
    assert page.get_data() == visitor.get_data()


def test_a_post_with_the_form_token_signs_without_any_cookie(app: Flask, campaign: str) -> None:
    browser = app.test_client(use_cookies=False)
    path = f"/campaigns/{campaign}"
    token = csrf_token(browser, path)
    response = browser.post(
        path,
        data={"csrf_token": token, **signature_form()},
        headers={"Origin": "https://petition.example.org", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/campaigns/{campaign}/signed")
    assert [s.email for s in signatures(app)] == ["ada@example.org"]
    # Another post with the same token (another person at the same cached page) works too.
    again = browser.post(path, data={"csrf_token": token, **signature_form(email="b@example.org")})
    assert again.status_code == 303
    assert count_rows(app, Signature) == 2


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda slug: "", "could not accept this form"),
        (lambda slug: "forged.token", "could not accept this form"),
        (lambda slug: issue_form_token("another-key", slug, time.time()), "could not accept"),
        (lambda slug: issue_form_token(SECRET, "another", time.time()), "could not accept"),
        (lambda slug: issue_form_token(SECRET, slug, time.time() - 9 * 3600), "a long time"),
    ],
    ids=["missing", "forged", "other-key", "other-campaign", "expired"],
)
def test_a_bad_or_expired_token_keeps_what_was_typed_and_stores_nothing(
    app: Flask,
    client: FlaskClient,
    campaign: str,
    make_token: Callable[[str], str],
    message: str,
) -> None:
    token = make_token(campaign)
    response = client.post(
        f"/campaigns/{campaign}",
        data={"csrf_token": token, **signature_form(first_name="Kept", postcode="75011")},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Kept"' in page and 'value="75011"' in page and 'value="ada@example.org"' in page
    assert response.headers["Cache-Control"] == "no-store"
    # The page shown again carries a fresh token: sending it again works.
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert fresh and fresh.group(1) != token
    again = client.post(
        f"/campaigns/{campaign}", data={"csrf_token": fresh.group(1), **signature_form()}
    )
    assert again.status_code == 303
    assert count_rows(app, Signature) == 1


def test_forms_open_before_a_key_rotation_still_sign(
    make_app: Callable[..., Flask], campaign: str
) -> None:
    old = issue_form_token("the-old-key", campaign, time.time() - 60)
    rotated = make_app(SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["the-old-key"])
    response = rotated.test_client().post(
        f"/campaigns/{campaign}", data={"csrf_token": old, **signature_form()}
    )
    assert response.status_code == 303

    forgotten = make_app(SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=[])
    response = forgotten.test_client().post(
        f"/campaigns/{campaign}", data={"csrf_token": old, **signature_form(email="b@ex.org")}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.petition.example.org"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
    ids=["cross-site", "same-site", "origin-only", "null-origin"],
)
def test_a_cross_site_post_is_refused_with_a_clear_page_and_stores_nothing(
    app: Flask, client: FlaskClient, campaign: str, headers: dict[str, str]
) -> None:
    path = f"/campaigns/{campaign}"
    data = {"csrf_token": csrf_token(client, path), **signature_form(first_name="Planted")}
    response = client.post(path, data=data, headers=headers)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "sent to us from another website" in page
    assert 'name="first_name"' in page  # our own form, to sign from here
    assert "Planted" not in page  # nothing another site chose is put in our form
    assert response.headers["Cache-Control"] == "no-store"
    assert count_rows(app, Signature) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://petition.example.org"},
        {"Origin": "https://petition.example.org"},
        {"Origin": "http://localhost"},  # the address the request came in on (the test client's)
        {},  # not a browser: the token and the rate limits apply
    ],
    ids=["same-origin", "public-origin", "host-origin", "no-header"],
)
def test_a_post_from_our_own_page_is_accepted(
    app: Flask, client: FlaskClient, campaign: str, headers: dict[str, str]
) -> None:
    path = f"/campaigns/{campaign}"
    data = {"csrf_token": csrf_token(client, path), **signature_form()}
    assert client.post(path, data=data, headers=headers).status_code == 303
    assert count_rows(app, Signature) == 1


def test_organiser_pages_keep_their_session_csrf(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    from campaign.extensions import db

    with app.app_context():
        email = make_organiser(db.session, "staff@example.org").email
        db.session.commit()
    login_page = client.get("/organiser/login")
    assert "Set-Cookie" in login_page.headers  # the session that holds its CSRF token
    assert login_page.headers["Cache-Control"] == "no-store"

    # The public form's token is no CSRF token of a session.
    public_token = csrf_token(client, f"/campaigns/{campaign}")
    data = {"csrf_token": public_token, "email": email, "password": PASSWORD, "next": ""}
    refused = client.post("/organiser/login", data=data)
    assert refused.status_code == 400
    assert client.get("/organiser/").status_code == 302

    data["csrf_token"] = csrf_from(client.get("/organiser/login").get_data(as_text=True))
    assert client.post("/organiser/login", data=data).status_code == 303


def test_the_token_checks_its_campaign_its_age_and_its_keys() -> None:
    now = 1_000_000.0
    token = issue_form_token("key", "slug", now)
    check = lambda **kw: check_form_token(  # noqa: E731
        kw.pop("token", token), kw.pop("scope", "slug"), max_age_seconds=3600, **kw
    )
    assert check(secret_key="key", now=now + 10) is FormTokenCheck.VALID
    assert check(secret_key="new", fallbacks=["key"], now=now) is FormTokenCheck.VALID
    assert check(secret_key="new", now=now) is FormTokenCheck.INVALID
    assert check(secret_key="key", scope="other", now=now) is FormTokenCheck.INVALID
    assert check(secret_key="key", now=now + 3 * 3600) is FormTokenCheck.EXPIRED
    # A clock a little behind another machine's is fine; a token from far ahead is not.
    assert check(secret_key="key", now=now - 30) is FormTokenCheck.VALID
    assert check(secret_key="key", now=now - 3600) is FormTokenCheck.EXPIRED
    assert check(secret_key="key", token="x" * 500, now=now) is FormTokenCheck.INVALID
    assert check(secret_key="key", token=None, now=now) is FormTokenCheck.INVALID


def test_a_public_response_that_used_the_session_is_sent_as_private() -> None:
    from flask import Flask, make_response, session

    other = Flask(__name__)
    other.secret_key = "k"
    http_cache.init_app(other)

    @other.get("/reads")
    def reads():  # type: ignore[no-untyped-def]
        return http_cache.cache_publicly(make_response(session.get("x", "-")), 30)

    @other.get("/writes")
    def writes():  # type: ignore[no-untyped-def]
        session["x"] = "1"
        return http_cache.cache_publicly(make_response("ok"), 30)

    for path in ("/reads", "/writes"):
        response = other.test_client().get(path)
        assert response.headers["Cache-Control"] == "private, no-store"


def test_each_process_answers_repeat_views_from_its_own_copy(
    cached_app: Flask, campaign: str
) -> None:
    """Without a cache in front, a crowd costs the app one rendering per language and URL
    every TALLY_CACHE_SECONDS, not one per visitor."""
    reached: list[str] = []
    cached_app.before_request(lambda: reached.append(cached_app.name) and None)
    path = f"/campaigns/{campaign}"
    english, french = {"Accept-Language": "en-GB,en"}, {"Accept-Language": "fr-FR,fr;q=0.9"}
    pages = [cached_app.test_client().get(path, headers=english) for _ in range(5)]
    assert len(reached) == 1
    assert len({page.get_data() for page in pages}) == 1
    for page in pages:
        _assert_public(page)
        assert "Accept-Language" in page.headers["Vary"]
    assert 'lang="fr"' in cached_app.test_client().get(path, headers=french).get_data(as_text=True)
    assert cached_app.test_client().get(path, headers={"Accept-Language": "fr"}).status_code == 200
    assert len(reached) == 2  # `fr` and `fr-FR,fr;q=0.9` choose the same language
    for _ in range(3):
        cached_app.test_client().get(path + ".json")
    assert len(reached) == 3

    # Posts always reach the app; so does every page that is not public.
    client = cached_app.test_client()
    client.post(path, data={"csrf_token": csrf_token(client, path), **signature_form()})
    client.get("/organiser/login")
    client.get("/organiser/login")
    assert len(reached) == 6


def test_the_process_cache_is_bounded_in_bytes_whatever_queries_arrive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `?x=1`, `?x=2` … are new keys each: the cache must not grow with them.

    page = b"p" * 1000

    def public_page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Cache-Control", "public, max-age=30")])
        return [page]

    monkeypatch.setattr(http_cache, "MAX_BYTES", 10_000)
    cache = http_cache.PublicResponseCache(public_page, 30, ["en"], "en")
    for n in range(100):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/campaigns/x", "QUERY_STRING": f"x={n}"}
        assert b"".join(cache(environ, lambda *a: None)) == page
        assert cache._bytes <= 10_000 and len(cache._entries) <= 10
