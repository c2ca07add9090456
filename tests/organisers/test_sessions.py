"""Sessions kept in the database under a per-account generation: logout ends a copied
cookie, deactivation then reactivation revives nothing, and the account page lists the
browsers logged in and ends any of them."""

from __future__ import annotations

import re
import threading
import time

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from campaign.extensions import db
from campaign.organisers.account_models import OrganiserSession
from tests.factories import PASSWORD, csrf_from, login
from tests.organisers.accounts_helpers import post_form

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s cookies (a stolen cookie)."""
    thief = app.test_client()
    for name in ("session", "organiser_browser"):
        cookie = client.get_cookie(name, path="/organiser" if name != "session" else "/")
        if cookie is not None:
            thief.set_cookie(name, cookie.value, path=cookie.path)
    return thief


def test_logout_ends_a_copy_of_the_session_cookie(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    thief = copy_of(app, organiser_client)
    export = f"/organiser/campaigns/{campaign}/signatures.csv"
    assert thief.get(export).status_code == 200
    assert thief.get("/organiser/").status_code == 200

    page = organiser_client.get("/organiser/").get_data(as_text=True)
    organiser_client.post("/organiser/logout", data={"csrf_token": csrf_from(page)})

    assert thief.get("/organiser/").status_code == 302
    assert thief.get(export).status_code == 302


def test_deactivating_then_activating_revives_no_old_session(
    app: Flask, runner: FlaskCliRunner, organiser: str, organiser_client: FlaskClient
) -> None:
    assert runner.invoke(args=["organisers", "deactivate", organiser]).exit_code == 0
    assert runner.invoke(args=["organisers", "activate", organiser]).exit_code == 0

    assert organiser_client.get("/organiser/").status_code == 302
    assert login(app.test_client(), organiser).status_code == 303


def _laptop_and_phone(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    """Two browsers, Firefox on Linux and Safari on iOS, not logged in yet."""
    laptop, phone = app.test_client(), app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = FIREFOX
    phone.environ_base["HTTP_USER_AGENT"] = PHONE
    return laptop, phone


def test_the_account_page_lists_sessions_by_browser_without_addresses(
    app: Flask, organiser: str
) -> None:
    laptop, phone = _laptop_and_phone(app)
    login(laptop, organiser, address="198.51.100.23")
    login(phone, organiser, address="203.0.113.77")

    response = laptop.get("/organiser/account")
    page = response.get_data(as_text=True)

    assert response.headers["Cache-Control"] == "no-store"
    assert "Firefox on Linux" in page and "(this browser)" in page
    assert "Safari on iOS" in page
    assert "198.51.100" not in page and "203.0.113" not in page
    with app.app_context():
        rows = db.session.scalars(select(OrganiserSession)).all()
        stored = " ".join(f"{row.browser} {row.key_hash}" for row in rows)
    assert "198.51.100" not in stored and "203.0.113" not in stored


def test_ending_a_session_from_the_account_page_logs_that_browser_out(
    app: Flask, organiser: str
) -> None:
    laptop, phone = _laptop_and_phone(app)
    login(laptop, organiser)
    login(phone, organiser)
    page = laptop.get("/organiser/account").get_data(as_text=True)
    ends = re.findall(r'action="(/organiser/account/sessions/\d+/end)"', page)
    assert len(ends) == 1  # the other browser; this one logs out with the button above

    response = laptop.post(ends[0], data={"csrf_token": csrf_from(page)})

    assert response.status_code == 303
    assert phone.get("/organiser/").status_code == 302
    assert laptop.get("/organiser/").status_code == 200
    assert "Safari on iOS" not in laptop.get("/organiser/account").get_data(as_text=True)


def test_ending_every_other_session_keeps_this_browser(app: Flask, organiser: str) -> None:
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for browser in (laptop, phone, tablet):
        login(browser, organiser)

    post_form(laptop, "/organiser/account", "/organiser/account/sessions/end-others", {})

    assert laptop.get("/organiser/").status_code == 200
    assert phone.get("/organiser/").status_code == 302
    assert tablet.get("/organiser/").status_code == 302


def test_one_cannot_end_someone_elses_session(
    app: Flask, organiser_client: FlaskClient, admin_client: FlaskClient
) -> None:
    with app.app_context():
        ids = db.session.scalars(select(OrganiserSession.id)).all()
    page = organiser_client.get("/organiser/account").get_data(as_text=True)
    for session_id in ids:
        organiser_client.post(
            f"/organiser/account/sessions/{session_id}/end", data={"csrf_token": csrf_from(page)}
        )
    assert admin_client.get("/organiser/").status_code == 200


def test_concurrent_slowed_logins_are_answered_at_once_with_retry_after(
    app: Flask, organiser: str
) -> None:
    # The production slowdown: a worker that slept would answer these in seconds.
    app.config.update(LOGIN_SLOWDOWN_SECONDS=2, LOGIN_SLOWDOWN_MAX_SECONDS=4)
    for _ in range(3):
        assert login(app.test_client(), organiser, "wrong password!!").status_code == 422
    answers: list[tuple[int, str, float]] = []

    def try_login() -> None:
        started = time.monotonic()
        response = login(app.test_client(), organiser, PASSWORD)
        answers.append(
            (
                response.status_code,
                response.headers.get("Retry-After", ""),
                time.monotonic() - started,
            )
        )

    threads = [threading.Thread(target=try_login) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _, _ in answers] == [429] * 4
    assert all(1 <= int(retry) <= 2 for _, retry, _ in answers)
    assert max(seconds for _, _, seconds in answers) < 1.5
    page = login(app.test_client(), organiser, PASSWORD).get_data(as_text=True)
    assert re.search(r"Please wait \d seconds", page)


def test_old_sessions_links_and_invitations_are_deleted_after_thirty_days(
    app: Flask, organiser: str
) -> None:
    from datetime import timedelta

    from campaign.database import utcnow
    from campaign.organisers.account_models import AccountLink, AccountLinkPurpose, Invitation

    long_ago = utcnow() - timedelta(days=31)
    login(app.test_client(), organiser)
    with app.app_context():
        organiser_id = db.session.scalars(select(OrganiserSession.organiser_id)).one()
        db.session.execute(
            OrganiserSession.__table__.update().values(  # type: ignore[attr-defined]
                last_seen_at=long_ago, created_at=long_ago
            )
        )
        db.session.add(
            AccountLink(
                organiser_id=organiser_id,
                purpose=AccountLinkPurpose.NEW_EMAIL,
                token_hash="a" * 64,
                new_email="old@example.org",
                created_at=long_ago,
                expires_at=long_ago,
            )
        )
        db.session.add(
            Invitation(email="invitee@example.org", token_hash="b" * 64, expires_at=long_ago)
        )
        db.session.commit()

    login(app.test_client(), organiser)

    with app.app_context():
        assert len(db.session.scalars(select(OrganiserSession)).all()) == 1  # the new one
        assert db.session.scalars(select(AccountLink)).all() == []
        assert db.session.scalars(select(Invitation)).all() == []
