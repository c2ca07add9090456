"""Through the login view only (as an attacker and as staff meet it): repeated failures make
guessing slow or impossible, a refused login stays refused even with the right password,
and `organisers set-password` lets the account's owner in again at once.

These hold whether the view slows answers down before refusing, or refuses at once."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.factories import PASSWORD, login

WRONG = "wrong password!!"


def fail_until_refused(client: FlaskClient, email: str, address: str) -> int:
    """Wrong passwords until the view refuses (429); how many it took."""
    for n in range(1, 50):
        response = login(client, email, WRONG, address=address)
        if response.status_code == 429:
            return n
        assert response.status_code == 422, response.status_code
    raise AssertionError("never refused after 49 wrong passwords")


def test_after_a_few_failures_an_answer_is_slowed_down_or_refused_never_immediate(
    app: Flask, client: FlaskClient, organiser: str
) -> None:
    app.config.update(
        LOGIN_SLOWDOWN_AFTER=3, LOGIN_SLOWDOWN_SECONDS=0.4, LOGIN_SLOWDOWN_MAX_SECONDS=0.4
    )
    for _ in range(3):
        assert login(client, organiser, WRONG, address="192.0.2.30").status_code == 422

    began = time.monotonic()
    response = login(client, organiser, WRONG, address="192.0.2.30")
    took = time.monotonic() - began

    assert response.status_code == 429 or took >= 0.4, (response.status_code, took)


def test_a_refused_login_is_refused_even_with_the_right_password(
    app: Flask, client: FlaskClient, organiser: str
) -> None:
    fail_until_refused(client, organiser, "192.0.2.31")

    response = login(app.test_client(), organiser, PASSWORD, address="192.0.2.31")

    assert response.status_code == 429
    assert "Too many failed attempts to log in" in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302  # not logged in


def test_set_password_lifts_a_login_refusal(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, organiser: str
) -> None:
    fail_until_refused(client, organiser, "192.0.2.32")
    assert login(app.test_client(), organiser, PASSWORD, address="192.0.2.33").status_code == 429

    new = "a brand new passphrase"
    result = runner.invoke(args=["organisers", "set-password", organiser], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output

    staff = app.test_client()
    assert login(staff, organiser, new, address="192.0.2.33").status_code == 303
    assert staff.get("/organiser/").status_code == 200
