"""Failed logins slow down, then are refused for a while; never for good, and never in a
way an attacker can use to lock staff out of the browser they already use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.models import LoginThrottle
from campaign.organisers.services import (
    LoginAttempt,
    LoginCheck,
    check_login,
    find_organiser,
    finish_login,
)
from campaign.organisers.throttle import ThrottlePolicy
from tests.factories import PASSWORD, csrf_from, login

POLICY = ThrottlePolicy(
    slowdown_after=3,
    slowdown_seconds=0.5,
    slowdown_max_seconds=4,
    account_limit=10,
    address_limit=30,
    block=timedelta(minutes=15),
)


def attempt(
    app: Flask,
    email: str,
    password: str,
    now_offset: timedelta = timedelta(0),
    *,
    address: str = "192.0.2.1",
    browser: tuple[int, str] | None = None,
) -> tuple[tuple[str | None, datetime | None], list[float]]:
    """One login attempt through the services, as the view makes it: ((who logged in, refused
    until), the waits asked for)."""
    now = utcnow() + now_offset
    with app.app_context():
        check = check_login(
            db.session,
            LoginAttempt(email, password, address, browser),
            secret_key=app.config["SECRET_KEY"],
            policy=POLICY,
            now=now,
        )
        db.session.rollback()
        if check.blocked_until is not None:
            return (None, check.blocked_until), []
        waits = [check.delay_seconds] if check.delay_seconds else []
        matched = check.password_matches(password)
        organiser = finish_login(db.session, check, password, matched, policy=POLICY, now=now)
        db.session.commit()
        return (organiser.email if organiser else None, None), waits


def test_answers_slow_down_after_three_failures_then_logins_are_refused_for_a_while(
    app: Flask, organiser: str
) -> None:
    waits = []
    for _ in range(10):
        (who, blocked), waited = attempt(app, organiser, "wrong password!!")
        assert who is None and blocked is None
        waits.append(sum(waited))
    assert waits == [0, 0, 0, 0.5, 1, 2, 4, 4, 4, 4]

    (who, blocked), waited = attempt(app, organiser, PASSWORD)  # even the right password

    assert who is None
    assert blocked is not None
    assert timedelta(minutes=14) < blocked - utcnow() <= timedelta(minutes=15)
    assert waited == []  # a refusal is immediate: it does not even try the password


def test_a_refusal_ends_by_itself(app: Flask, organiser: str) -> None:
    for _ in range(10):
        attempt(app, organiser, "wrong password!!")
    assert attempt(app, organiser, PASSWORD)[0][1] is not None

    (who, blocked), _ = attempt(app, organiser, PASSWORD, timedelta(minutes=15, seconds=1))

    assert who == organiser and blocked is None


def test_failures_are_forgotten_after_a_quiet_quarter_of_an_hour(
    app: Flask, organiser: str
) -> None:
    for _ in range(9):
        attempt(app, organiser, "wrong password!!")
    (who, blocked), waited = attempt(app, organiser, "wrong password!!", timedelta(minutes=16))
    assert blocked is None and waited == []  # counting started again
    (who, blocked), _ = attempt(app, organiser, PASSWORD, timedelta(minutes=16))
    assert who == organiser


def test_a_successful_login_clears_the_account_counter_not_the_address_counter(
    app: Flask, organiser: str
) -> None:
    for _ in range(5):
        attempt(app, organiser, "wrong password!!")
    assert attempt(app, organiser, PASSWORD)[0][0] == organiser

    for _ in range(9):  # 14 failures in all: only the address (limit 30) still counts them
        (_, blocked), waited = attempt(app, organiser, "wrong password!!")
        assert blocked is None
    assert waited == [4]  # the address's answers stay slow
    assert attempt(app, organiser, PASSWORD)[0][0] == organiser


def test_addresses_without_an_account_are_throttled_the_same_and_never_stored_in_clear(
    app: Flask,
) -> None:
    for _ in range(10):
        attempt(app, "nobody@example.org", "wrong password!!")
    assert attempt(app, "nobody@example.org", "wrong password!!")[0][1] is not None
    with app.app_context():
        rows = db.session.scalars(select(LoginThrottle)).all()
        stored = " ".join(f"{row.scope} {row.key_hash}" for row in rows)
    assert {row.scope for row in rows} == {"account", "address"}
    assert "nobody" not in stored and "192.0.2.1" not in stored


def test_one_address_trying_many_accounts_is_refused_after_the_address_limit(app: Flask) -> None:
    for n in range(30):
        (_, blocked), _ = attempt(app, f"guess{n}@example.org", "password guess!!")
        assert blocked is None
    (_, blocked), _ = attempt(app, "guess-more@example.org", "password guess!!")
    assert blocked is not None
    # Another address is not affected.
    (_, blocked), _ = attempt(
        app, "guess-more@example.org", "password guess!!", address="198.51.100.7"
    )
    assert blocked is None


def test_a_known_browser_is_not_locked_out_by_failures_against_its_account(
    app: Flask, organiser: str
) -> None:
    with app.app_context():
        account = find_organiser(db.session, organiser)
        assert account is not None
        organiser_id = account.id
    for _ in range(12):  # an attacker elsewhere
        attempt(app, organiser, "attacker guess!!", address="203.0.113.9")
    assert attempt(app, organiser, PASSWORD, address="203.0.113.9")[0][1] is not None

    (who, blocked), _ = attempt(
        app,
        organiser,
        PASSWORD,
        address="192.0.2.44",
        browser=(organiser_id, "token-of-staff-browser"),
    )

    assert who == organiser and blocked is None


def test_over_http_the_refusal_is_a_429_with_a_clear_message(app: Flask, organiser: str) -> None:
    client = app.test_client()
    for _ in range(10):
        assert login(client, organiser, "wrong password!!", address="192.0.2.8").status_code == 422

    response = login(client, organiser, PASSWORD, address="192.0.2.8")

    assert response.status_code == 429
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60
    page = response.get_data(as_text=True)
    assert "Too many failed attempts to log in. Please wait about 15 minutes" in page


def test_over_http_the_browser_its_owner_used_before_still_logs_in_during_an_attack(
    app: Flask, organiser: str
) -> None:
    staff = app.test_client()
    assert login(staff, organiser, address="192.0.2.10").status_code == 303
    staff.post("/organiser/logout", data={"csrf_token": _token(staff)})
    attacker = app.test_client()
    for _ in range(11):
        login(attacker, organiser, "attacker guess!!", address="203.0.113.5")
    assert login(attacker, organiser, PASSWORD, address="203.0.113.5").status_code == 429

    assert login(staff, organiser, address="192.0.2.10").status_code == 303


def _token(client: FlaskClient) -> str:
    return csrf_from(client.get("/organiser/").get_data(as_text=True))


@pytest.mark.parametrize("failures", [0, 2, 3, 4, 8, 30])
def test_the_slowdown_doubles_and_is_capped(failures: int) -> None:
    expected = {0: 0, 2: 0, 3: 0.5, 4: 1, 8: 4, 30: 4}[failures]
    assert POLICY.delay(failures) == expected


def test_counters_that_no_longer_count_are_deleted(app: Flask) -> None:
    attempt(app, "first@example.org", "wrong password!!")
    attempt(
        app, "later@example.org", "wrong password!!", timedelta(minutes=31), address="192.0.2.99"
    )
    with app.app_context():
        rows = db.session.scalars(select(LoginThrottle)).all()
    # The first attempt's two counters (account and address) are gone; the later ones stay.
    assert len(rows) == 2


def test_no_database_lock_is_held_while_a_password_is_checked(
    app: Flask, organiser: str, campaign: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite a write transaction left open over the Argon2 check (or a slowed answer)
    # would stop every signature meanwhile. A writer that will not wait must get through.
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    args = {"timeout": 0} if url.startswith("sqlite") else {"connect_timeout": 5}
    other = create_engine(url, connect_args=args)
    written: list[int] = []
    real_check = LoginCheck.password_matches

    def check_while_someone_writes(self: LoginCheck, password: str) -> bool:
        with other.begin() as connection:
            result = connection.execute(
                text("UPDATE campaigns SET goal = goal WHERE slug = :s"), {"s": campaign}
            )
            written.append(result.rowcount)
        return real_check(self, password)

    monkeypatch.setattr(LoginCheck, "password_matches", check_while_someone_writes)
    try:
        assert login(app.test_client(), organiser, "wrong password!!").status_code == 422
        assert login(app.test_client(), organiser).status_code == 303
    finally:
        other.dispose()
    assert written == [1, 1]
