"""What arrives by email: invitations, password resets, a new address. Each link works
once and runs out; a reset tells nobody which addresses have accounts."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaign.audit.models import AuditEvent
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.account_models import AccountLink, Invitation
from campaign.organisers.models import Organiser
from campaign.organisers.services import find_organiser
from tests.factories import PASSWORD, csrf_from, login
from tests.organisers.accounts_helpers import deliver_and_read, path_in, post_form
from tests.smtp import SmtpServer

NEW_PASSWORD = "a brand new passphrase for spring"


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def ask_for_reset(client: FlaskClient, email: str) -> tuple[int, str]:
    response = post_form(
        client,
        "/organiser/password/forgot",
        "/organiser/password/forgot",
        {"email": email},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    return response.status_code, page.replace(csrf_from(page), "")


def post_again(app: Flask, path: str, password: str) -> int:
    """Post a new password to a link from a fresh browser (with its own CSRF token)."""
    client = app.test_client()
    token = csrf_from(client.get("/organiser/password/forgot").get_data(as_text=True))
    data = {"csrf_token": token, "password": password, "password_again": password}
    return client.post(path, data=data).status_code


def set_new_password(client: FlaskClient, path: str, password: str) -> int:
    return post_form(
        client, path, path, {"password": password, "password_again": password}
    ).status_code


def test_the_login_page_links_to_the_reset_form(client: FlaskClient) -> None:
    page = client.get("/organiser/login").get_data(as_text=True)
    assert 'href="/organiser/password/forgot"' in page


def test_a_reset_answers_the_same_whether_or_not_the_address_has_an_account(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str
) -> None:
    known = [ask_for_reset(smtp_app.test_client(), organiser) for _ in range(3)]
    unknown = [ask_for_reset(smtp_app.test_client(), "nobody@example.org") for _ in range(3)]

    assert {status for status, _ in known + unknown} == {200}
    assert known[0][1] == unknown[0][1]
    assert "If an organiser account has this address" in known[0][1]
    assert len(deliver_and_read(smtp_app, smtp_server, organiser)) == 3
    assert deliver_and_read(smtp_app, smtp_server, "nobody@example.org") == []
    with smtp_app.app_context():
        details = [e.details for e in db.session.scalars(select(AuditEvent))]
    assert "nobody" not in str(details)


def test_a_reset_takes_the_same_time_whether_or_not_the_address_has_an_account(
    app: Flask, organiser: str
) -> None:
    client = app.test_client()
    page = client.get("/organiser/password/forgot").get_data(as_text=True)
    token = csrf_from(page)

    def timed(email: str) -> float:
        started = time.perf_counter()
        client.post("/organiser/password/forgot", data={"csrf_token": token, "email": email})
        return time.perf_counter() - started

    for _ in range(3):  # warm up
        timed("warm@example.org")
    known = [timed(organiser) for _ in range(15)]
    unknown = [timed(f"nobody{n}@example.org") for n in range(15)]
    # Within noise: a few milliseconds at most (the link is made either way; only an insert
    # and an email row differ, and the account is capped at three emails an hour).
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.03


def test_a_reset_link_works_once_and_ends_every_other_session(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str, organiser_client: FlaskClient
) -> None:
    ask_for_reset(smtp_app.test_client(), organiser)
    (text,) = deliver_and_read(smtp_app, smtp_server, organiser)
    assert "60 minutes" in text
    path = path_in(text, "/organiser/password/reset/")
    browser = smtp_app.test_client()

    assert browser.get(path).headers["Referrer-Policy"] == "no-referrer"
    assert set_new_password(browser, path, NEW_PASSWORD) == 303

    assert organiser_client.get("/organiser/").status_code == 302  # other sessions ended
    assert login(smtp_app.test_client(), organiser, PASSWORD).status_code == 422
    assert login(smtp_app.test_client(), organiser, NEW_PASSWORD).status_code == 303
    # Once only.
    assert browser.get(path).status_code == 404
    assert post_again(smtp_app, path, "yet another long passphrase") == 404
    assert "organiser.password_reset" in actions(smtp_app)


def test_a_reset_link_runs_out_after_an_hour(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str
) -> None:
    ask_for_reset(smtp_app.test_client(), organiser)
    path = path_in(
        deliver_and_read(smtp_app, smtp_server, organiser)[0], "/organiser/password/reset/"
    )
    with smtp_app.app_context():
        db.session.execute(update(AccountLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    response = smtp_app.test_client().get(path)

    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short one", "at least 12 characters"),
        ("1qaz2wsx3edc", "most common"),
        ("Leave Me Alone", "most common"),
        ("passwordpassword", "most common"),
    ],
)
def test_a_reset_follows_the_password_rules_and_the_link_still_works_after_a_refusal(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str, password: str, message: str
) -> None:
    ask_for_reset(smtp_app.test_client(), organiser)
    path = path_in(
        deliver_and_read(smtp_app, smtp_server, organiser)[0], "/organiser/password/reset/"
    )
    browser = smtp_app.test_client()
    response = post_form(browser, path, path, {"password": password, "password_again": password})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert set_new_password(browser, path, NEW_PASSWORD) == 303


def test_reset_emails_are_capped_at_three_an_hour_per_account(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str
) -> None:
    for _ in range(5):
        assert ask_for_reset(smtp_app.test_client(), organiser)[0] == 200
    assert len(deliver_and_read(smtp_app, smtp_server, organiser)) == 3


def test_an_invitation_creates_the_account_once_with_its_role_and_campaigns(
    smtp_app: Flask, smtp_server: SmtpServer, admin_client: FlaskClient, campaign_id: int
) -> None:
    response = post_form(
        admin_client,
        "/organiser/team",
        "/organiser/team/invite",
        {
            "email": "New.Colleague@Example.org",
            "role": "organiser",
            "campaigns": str(campaign_id),
            "locale": "fr",
        },
    )
    assert response.status_code == 303
    (text,) = deliver_and_read(smtp_app, smtp_server, "new.colleague@example.org")
    assert "admin@example.org" in text and "72" in text
    assert "vous invite" in text  # in the language chosen in the invitation
    path = path_in(text, "/organiser/invitation/")

    browser = smtp_app.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "new.colleague@example.org" in page.get_data(as_text=True)
    assert set_new_password(browser, path, NEW_PASSWORD) == 303

    colleague = smtp_app.test_client()
    assert login(colleague, "new.colleague@example.org", NEW_PASSWORD).status_code == 303
    assert colleague.get("/organiser/").status_code == 200
    assert colleague.get("/organiser/team").status_code == 403  # an organiser, not an admin
    with smtp_app.app_context():
        account = find_organiser(db.session, "new.colleague@example.org")
        assert account is not None and not account.is_admin and account.locale == "fr"

    # Once only: a second visit (a forwarded email, a stolen link) creates nothing.
    assert smtp_app.test_client().get(path).status_code == 404
    assert post_again(smtp_app, path, "another long passphrase") == 404
    assert actions(smtp_app).count("organiser.invitation_accepted") == 1
    assert "organiser.invite" in actions(smtp_app)


def test_an_invitation_runs_out_after_72_hours(
    smtp_app: Flask, smtp_server: SmtpServer, admin_client: FlaskClient
) -> None:
    post_form(
        admin_client,
        "/organiser/team",
        "/organiser/team/invite",
        {"email": "late@example.org", "role": "admin", "locale": "en"},
    )
    path = path_in(
        deliver_and_read(smtp_app, smtp_server, "late@example.org")[0], "/organiser/invitation/"
    )
    with smtp_app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.expires_at - invitation.created_at == timedelta(hours=72)
        invitation.expires_at = invitation.created_at
        db.session.commit()
    assert smtp_app.test_client().get(path).status_code == 404


def test_inviting_an_existing_address_or_a_bad_one_says_so(
    admin_client: FlaskClient, organiser: str
) -> None:
    taken = post_form(
        admin_client,
        "/organiser/team",
        "/organiser/team/invite",
        {"email": organiser, "role": "organiser", "locale": "en"},
    )
    assert taken.status_code == 422
    assert "Another account already has that address" in taken.get_data(as_text=True)
    bad = post_form(
        admin_client,
        "/organiser/team",
        "/organiser/team/invite",
        {"email": "not an address", "role": "organiser", "locale": "en"},
    )
    assert bad.status_code == 422


def test_changing_the_email_address_confirms_with_the_new_one_and_tells_the_old_one(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str, organiser_client: FlaskClient
) -> None:
    response = post_form(
        organiser_client,
        "/organiser/account",
        "/organiser/account/email",
        {"email-email": "moved@example.org", "email-current_password": PASSWORD},
    )
    assert response.status_code == 303
    (notice,) = deliver_and_read(smtp_app, smtp_server, organiser)
    assert "moved@example.org" in notice
    (confirm,) = deliver_and_read(smtp_app, smtp_server, "moved@example.org")
    path = path_in(confirm, "/organiser/account/email/")

    browser = smtp_app.test_client()
    assert browser.get(path).status_code == 200  # opening the link changes nothing yet
    with smtp_app.app_context():
        assert find_organiser(db.session, organiser) is not None
    page = browser.get(path).get_data(as_text=True)
    assert browser.post(path, data={"csrf_token": csrf_from(page)}).status_code == 303

    assert login(smtp_app.test_client(), "moved@example.org").status_code == 303
    assert login(smtp_app.test_client(), organiser).status_code == 422
    assert browser.get(path).status_code == 404


def test_changing_the_email_address_needs_the_current_password(
    app: Flask, organiser_client: FlaskClient
) -> None:
    response = post_form(
        organiser_client,
        "/organiser/account",
        "/organiser/account/email",
        {"email-email": "moved@example.org", "email-current_password": "not my password!"},
    )
    assert response.status_code == 422
    assert "That is not your current password" in response.get_data(as_text=True)


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(
    app: Flask, organiser: str, organiser_client: FlaskClient
) -> None:
    other = app.test_client()
    login(other, organiser)
    response = post_form(
        organiser_client,
        "/organiser/account",
        "/organiser/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert organiser_client.get("/organiser/").status_code == 200
    assert other.get("/organiser/").status_code == 302
    assert login(app.test_client(), organiser, NEW_PASSWORD).status_code == 303
    assert "organiser.password_change" in actions(app)


def test_the_email_language_is_the_organisers_choice(
    smtp_app: Flask, smtp_server: SmtpServer, organiser: str, organiser_client: FlaskClient
) -> None:
    post_form(
        organiser_client, "/organiser/account", "/organiser/account/language", {"locale": "fr"}
    )
    ask_for_reset(smtp_app.test_client(), organiser)
    (text,) = deliver_and_read(smtp_app, smtp_server, organiser)
    assert "Bonjour" in text
    with smtp_app.app_context():
        assert db.session.scalars(select(Organiser.locale)).all() == ["fr"]


def test_failed_logins_are_audited_with_a_keyed_hash_never_the_address(
    app: Flask, organiser: str
) -> None:
    login(app.test_client(), "someone.else@example.org", "wrong password!!")
    login(app.test_client(), organiser)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        failed = [e for e in events if e.action == "organiser.login_failed"]
        assert len(failed) == 1
        assert failed[0].actor == "anonymous"
        assert "someone" not in str(failed[0].details)
        assert re.fullmatch(r"[0-9a-f]{32}", failed[0].details["email_hash"])
        assert any(e.action == "organiser.login" and e.actor == organiser for e in events)
