"""The organiser account pages in a real browser, in English and French: login with a second
factor, enrolment (a QR code as an image, the key as text beside it), recovery codes, the
account and team pages, and the pages reached from emailed links. Each one passes axe-core
and fits a 320 px screen; and the whole login with a second factor works without
JavaScript."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organisers.accounts import invite, request_email_change, request_password_reset
from campaign.organisers.models import Organiser
from tests.browser.accessibility import check_page, visit_page
from tests.factories import PASSWORD, make_organiser

ADMIN = "admin@example.org"


def latest_token(app: Flask, template: str) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None and message.context
        return str(message.context["token"])


@pytest.fixture
def accounts(app: Flask) -> str:
    """An admin with a second factor (its secret returned), and emailed links to follow."""
    secret = pyotp.random_base32()
    now = utcnow()
    with app.app_context():
        admin = make_organiser(db.session, ADMIN, admin=True)
        admin.totp_secret = secret
        admin.totp_enabled_at = now
        make_organiser(db.session, "moving@example.org")
        db.session.flush()
        invite(
            db.session,
            admin=admin,
            email="invited@example.org",
            make_admin=False,
            campaign_ids=[],
            locale="en",
            now=now,
        )
        request_password_reset(db.session, ADMIN, now=now, default_locale="en")
        moving = db.session.scalars(
            select(Organiser).where(Organiser.email == "moving@example.org")
        ).one()
        request_email_change(db.session, moving, "moved@example.org", now=now, locale="en")
        db.session.commit()
    return secret


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_account_pages_are_accessible_in_english_and_french(
    visit: Any, app: Flask, accounts: str, lang: str
) -> None:
    browsing = visit(f"organiser-accounts-{lang}")
    page = browsing.page

    # Pages reached from emails, and the login page's links.
    visit_page(browsing, "/organiser/login", lang, "login")
    visit_page(browsing, "/organiser/password/forgot", lang, "forgot-password")
    invitation = latest_token(app, "organiser_invitation")
    visit_page(browsing, f"/organiser/invitation/{invitation}", lang, "invitation")
    reset = latest_token(app, "organiser_password_reset")
    visit_page(browsing, f"/organiser/password/reset/{reset}", lang, "reset-password")
    new_email = latest_token(app, "organiser_new_email")
    visit_page(browsing, f"/organiser/account/email/{new_email}", lang, "confirm-email")
    visit_page(browsing, "/organiser/password/reset/no-such-link", lang, "link-invalid", 404)

    # Login: the password, then the second factor.
    page.goto(f"/organiser/login?lang={lang}")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.locator("form:has(#password) button[type=submit]").click()
    assert "/organiser/login/code" in page.url
    check_page(browsing, "login-code", lang)
    page.fill("#code", pyotp.TOTP(accounts).at(utcnow() + timedelta(seconds=30)))
    page.locator("form:has(#code) button[type=submit]").click()
    assert page.url.split("?")[0].endswith("/organiser/")

    visit_page(browsing, "/organiser/account", lang, "account")
    visit_page(browsing, "/organiser/team", lang, "team")

    # Moving to a new phone: the QR code is an image, the key is text beside it.
    visit_page(browsing, "/organiser/account/second-factor", lang, "enrol")
    image = page.locator(".totp-setup img")
    assert image.get_attribute("src").startswith("data:image/svg+xml")
    assert image.evaluate("img => img.naturalWidth") > 0
    key = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(key).now())
    page.fill("#current_password", PASSWORD)  # a logged-in browser alone may not swap it
    page.locator("form:has(#code) button[type=submit]").click()
    assert page.locator(".recovery-codes li").count() == 10
    check_page(browsing, "recovery-codes", lang)


def test_logging_in_with_a_second_factor_and_enrolling_work_without_javascript(
    visit: Any, app: Flask, accounts: str
) -> None:
    # axe-core needs JavaScript: this visit only checks that every step works without it.
    browsing = visit("organiser-accounts-no-javascript", javascript=False)
    page = browsing.page
    page.goto("/organiser/login")
    page.click("text=Forgot your password?")
    assert page.url.endswith("/organiser/password/forgot")
    page.fill("#email", ADMIN)
    page.locator("form:has(#email) button[type=submit]").click()
    assert "If an organiser account has this address" in page.content()

    page.goto("/organiser/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.locator("form:has(#password) button[type=submit]").click()
    assert "/organiser/login/code" in page.url
    page.fill("#code", "000000" if pyotp.TOTP(accounts).now() != "000000" else "111111")
    page.locator("form:has(#code) button[type=submit]").click()
    assert "That code is not right" in page.content()
    page.fill("#code", pyotp.TOTP(accounts).at(utcnow() + timedelta(seconds=30)))
    page.locator("form:has(#code) button[type=submit]").click()
    browsing.screenshot("logged-in")
    assert page.url.endswith("/organiser/")

    page.goto("/organiser/account/second-factor")
    assert page.locator(".totp-setup img").get_attribute("src").startswith("data:image/svg+xml")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(key).now())
    page.fill("#current_password", PASSWORD)
    page.locator("form:has(#code) button[type=submit]").click()
    assert page.locator(".recovery-codes li").count() == 10
    browsing.screenshot("recovery-codes")
    page.click("text=I have kept them: continue")
    assert "Where you are logged in" in page.content()
