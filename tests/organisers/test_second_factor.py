"""A second factor: TOTP from any authenticator app, ten recovery codes shown once, asked
for after the password; admins can require it of everyone and reset a colleague's."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.extensions import db
from campaign.organisers.account_models import RecoveryCode
from campaign.organisers.models import Organiser
from tests.factories import PASSWORD, csrf_from, login
from tests.organisers.accounts_helpers import (
    code_now,
    enrol_from_account_page,
    post_form,
    secret_on_page,
)


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def send_code(client: FlaskClient, code: str) -> tuple[int, str]:
    page = client.get("/organiser/login/code")
    assert page.status_code == 200
    response = client.post(
        "/organiser/login/code",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": code},
    )
    return response.status_code, response.headers.get("Location", "")


def test_enrolment_shows_a_qr_code_and_the_key_and_stores_recovery_codes_hashed(
    app: Flask, organiser_client: FlaskClient
) -> None:
    page = organiser_client.get("/organiser/account/second-factor")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert '<img src="data:image/svg+xml' in html and "QR code" in html
    assert len(secret_on_page(html)) == 32

    _, codes = enrol_from_account_page(organiser_client)

    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode)).all()
        assert len(stored) == 10
        assert not any(code in row.code_hash for row in stored for code in codes)
    assert "organiser.second_factor_enabled" in actions(app)
    # Shown once: the account page says how many are left, never the codes.
    account = organiser_client.get("/organiser/account").get_data(as_text=True)
    assert "Recovery codes left: 10" in account
    assert codes[0] not in account


def test_a_wrong_code_at_enrolment_leaves_the_second_factor_off(
    app: Flask, organiser_client: FlaskClient
) -> None:
    html = organiser_client.get("/organiser/account/second-factor").get_data(as_text=True)
    response = organiser_client.post(
        "/organiser/account/second-factor",
        data={"csrf_token": csrf_from(html), "code": "000000"},
    )
    assert response.status_code == 422
    assert "That code is not right" in response.get_data(as_text=True)
    assert "Off." in organiser_client.get("/organiser/account").get_data(as_text=True)


def test_login_stops_at_the_second_factor_and_a_wrong_code_is_refused_and_counted(
    app: Flask, organiser: str, organiser_client: FlaskClient
) -> None:
    secret, _ = enrol_from_account_page(organiser_client)
    browser = app.test_client()

    response = login(browser, organiser)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/organiser/login/code")
    # The password alone opens nothing.
    assert browser.get("/organiser/").status_code == 302
    assert browser.get("/organiser/account").status_code == 302

    status, _ = send_code(browser, "123456" if code_now(secret) != "123456" else "654321")
    assert status == 422
    assert browser.get("/organiser/").status_code == 302
    assert "organiser.second_factor_failed" in actions(app)

    status, location = send_code(browser, code_now(secret, steps_ahead=1))
    assert status == 303 and location.endswith("/organiser/")
    assert browser.get("/organiser/").status_code == 200


def test_a_code_works_once(app: Flask, organiser: str, organiser_client: FlaskClient) -> None:
    secret, _ = enrol_from_account_page(organiser_client)
    first, second = app.test_client(), app.test_client()
    login(first, organiser)
    login(second, organiser)
    code = code_now(secret, steps_ahead=1)  # the enrolment used the current one

    assert send_code(first, code)[0] == 303
    assert send_code(second, code)[0] == 422  # seen over someone's shoulder: too late


def test_wrong_codes_count_toward_the_throttle_and_are_refused_at_once_with_retry_after(
    app: Flask, organiser: str, organiser_client: FlaskClient
) -> None:
    app.config.update(LOGIN_SLOWDOWN_SECONDS=30, LOGIN_SLOWDOWN_MAX_SECONDS=60)
    enrol_from_account_page(organiser_client)
    browser = app.test_client()
    login(browser, organiser)
    for _ in range(3):
        assert send_code(browser, "000001")[0] == 422

    page = browser.get("/organiser/login/code").get_data(as_text=True)
    response = browser.post(
        "/organiser/login/code", data={"csrf_token": csrf_from(page), "code": "000002"}
    )

    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert "Too many wrong codes" in response.get_data(as_text=True)


def test_a_recovery_code_logs_in_once(
    app: Flask, organiser: str, organiser_client: FlaskClient
) -> None:
    _, codes = enrol_from_account_page(organiser_client)
    browser = app.test_client()
    login(browser, organiser)

    assert send_code(browser, codes[3].upper())[0] == 303  # as typed from paper
    assert "organiser.recovery_code_used" in actions(app)

    again = app.test_client()
    login(again, organiser)
    assert send_code(again, codes[3])[0] == 422
    assert send_code(again, codes[4])[0] == 303


def test_requiring_a_second_factor_sends_an_account_without_one_to_enrolment(
    app: Flask, admin_client: FlaskClient, organiser: str
) -> None:
    response = post_form(
        admin_client, "/organiser/team", "/organiser/team/second-factor-policy", {"required": "y"}
    )
    assert response.status_code == 303
    assert "organiser.require_second_factor" in actions(app)

    browser = app.test_client()
    response = login(browser, organiser)
    assert response.headers["Location"].endswith("/organiser/login/enrol")
    assert browser.get("/organiser/").status_code == 302  # not in until enrolled

    page = browser.get("/organiser/login/enrol").get_data(as_text=True)
    assert "Your team requires a second factor" in page
    secret = secret_on_page(page)
    done = browser.post(
        "/organiser/login/enrol", data={"csrf_token": csrf_from(page), "code": code_now(secret)}
    )
    assert done.status_code == 200
    assert "shown only this once" in done.get_data(as_text=True)
    assert browser.get("/organiser/").status_code == 200

    # From now on the login asks for the code.
    later = app.test_client()
    assert login(later, organiser).headers["Location"].endswith("/organiser/login/code")


def test_an_admin_resets_a_colleagues_second_factor_and_it_is_audited(
    app: Flask, admin_client: FlaskClient, organiser: str, organiser_client: FlaskClient
) -> None:
    enrol_from_account_page(organiser_client)
    with app.app_context():
        from campaign.organisers.services import find_organiser

        colleague = find_organiser(db.session, organiser)
        assert colleague is not None
        colleague_id = colleague.id

    response = post_form(
        admin_client, "/organiser/team", f"/organiser/team/{colleague_id}/second-factor/reset", {}
    )

    assert response.status_code == 303
    assert "organiser.second_factor_reset" in actions(app)
    assert organiser_client.get("/organiser/").status_code == 302  # their sessions ended
    browser = app.test_client()
    assert login(browser, organiser).headers["Location"].endswith("/organiser/")


def test_only_admins_reach_the_team_page(organiser_client: FlaskClient) -> None:
    assert organiser_client.get("/organiser/team").status_code == 403


def test_the_code_form_is_reached_only_after_the_right_password(client: FlaskClient) -> None:
    assert client.get("/organiser/login/code").headers["Location"].endswith("/organiser/login")
    assert client.get("/organiser/login/enrol").headers["Location"].endswith("/organiser/login")


def test_reloading_the_enrolment_page_keeps_the_key_an_app_may_have_scanned(
    organiser_client: FlaskClient,
) -> None:
    first = secret_on_page(organiser_client.get("/organiser/account/second-factor").get_data(True))
    again = secret_on_page(organiser_client.get("/organiser/account/second-factor").get_data(True))
    assert first == again


def test_the_operator_removes_a_lost_second_factor_on_the_command_line(
    app: Flask, organiser: str, organiser_client: FlaskClient
) -> None:
    enrol_from_account_page(organiser_client)
    result = app.test_cli_runner().invoke(args=["organisers", "reset-second-factor", organiser])
    assert result.exit_code == 0, result.output
    assert organiser_client.get("/organiser/").status_code == 302
    assert login(app.test_client(), organiser).headers["Location"].endswith("/organiser/")
    assert "organiser.second_factor_reset" in actions(app)


def test_moving_the_second_factor_to_a_new_app_asks_for_the_password(
    app: Flask, organiser_client: FlaskClient
) -> None:
    old_secret, _ = enrol_from_account_page(organiser_client)
    page = organiser_client.get("/organiser/account/second-factor").get_data(as_text=True)
    new_secret = secret_on_page(page)
    assert 'autocomplete="current-password"' in page

    # A browser left logged in is not enough to swap in a factor of someone else's.
    refused = organiser_client.post(
        "/organiser/account/second-factor",
        data={
            "csrf_token": csrf_from(page),
            "code": code_now(new_secret),
            "current_password": "not the password at all",
        },
    )
    assert refused.status_code == 422
    assert "That is not your current password." in refused.get_data(as_text=True)
    with app.app_context():
        organiser = db.session.scalars(select(Organiser)).one()
        assert organiser.totp_secret == old_secret

    moved = organiser_client.post(
        "/organiser/account/second-factor",
        data={
            "csrf_token": csrf_from(page),
            "code": code_now(new_secret),
            "current_password": PASSWORD,
        },
    )
    assert moved.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Organiser)).one().totp_secret == new_secret
