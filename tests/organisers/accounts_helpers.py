"""Reading the account emails as they arrive over SMTP, and the steps of a login with a
second factor, for the account tests."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.cli import deliver_one_batch
from campaign.organisers.models import Organiser
from tests.factories import csrf_from
from tests.smtp import SmtpServer

SITE = "https://petition.example.org"


def deliver_and_read(app: Flask, server: SmtpServer, recipient: str) -> list[str]:
    """Deliver what is queued over SMTP; the plain-text bodies `recipient` has received."""
    with app.app_context():
        report = deliver_one_batch()
        db.session.remove()
    assert report.failed == 0, report.errors
    return [
        received.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        for received in server.received
        if recipient in received.recipients
    ]


def path_in(text: str, prefix: str) -> str:
    match = re.search(re.escape(SITE + prefix) + r"[A-Za-z0-9_\-]+", text)
    assert match, f"no {prefix} link in: {text}"
    return match.group(0).removeprefix(SITE)


def post_form(
    client: FlaskClient, page_path: str, action: str, data: dict[str, str], **kwargs: object
) -> TestResponse:
    """Load a page for its CSRF token, then post a form to `action`, as a browser would."""
    page = client.get(page_path).get_data(as_text=True)
    return client.post(action, data={"csrf_token": csrf_from(page), **data}, **kwargs)  # type: ignore[arg-type]


def totp_secret(app: Flask, email: str, *, pending: bool = False) -> str:
    with app.app_context():
        organiser = db.session.scalar(select(Organiser).where(Organiser.email == email))
        assert organiser is not None
        secret = organiser.totp_pending_secret if pending else organiser.totp_secret
        assert secret is not None
        return secret


def code_now(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows (pyotp, as the apps compute it)."""
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_ahead))


def secret_on_page(page: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "the enrolment page shows no key"
    return match.group(1).replace(" ", "")


def enrol_from_account_page(client: FlaskClient) -> tuple[str, list[str]]:
    """Set up the second factor as a person would: read the key on the page (as text, beside
    the QR code), compute a code, confirm. Returns the secret and the recovery codes shown."""
    page = client.get("/organiser/account/second-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    secret = secret_on_page(html)
    response = client.post(
        "/organiser/account/second-factor",
        data={"csrf_token": csrf_from(html), "code": code_now(secret)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.get_data(True))
    assert len(codes) == 10
    return secret, codes
