"""Organisers, logging in, and signatures made to measure, for the organiser-area tests.

The conftest of each organiser-area test folder imports the fixtures from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers import passwords
from campaign.organisers.models import CampaignMembership, Organiser
from campaign.organisers.passwords import hash_password
from campaign.signing.models import Signature, SignatureStatus
from campaign.tallies.services import add_to_tally

PASSWORD = "correct horse battery staple"
_numbers = count(1)


def make_organiser(
    session: Session,
    email: str,
    *,
    password: str = PASSWORD,
    admin: bool = False,
    active: bool = True,
    campaigns: Iterable[Campaign] = (),
) -> Organiser:
    organiser = Organiser(
        email=email, password_hash=hash_password(password), is_admin=admin, active=active
    )
    session.add(organiser)
    session.flush()
    for campaign in campaigns:
        session.add(CampaignMembership(organiser_id=organiser.id, campaign_id=campaign.id))
    session.flush()
    return organiser


def campaign_by_slug(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    assert campaign is not None
    return campaign


def add_signature(
    session: Session,
    campaign_id: int,
    *,
    confirmed_at: datetime | None = None,
    signed_at: datetime | None = None,
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    email: str | None = None,
    country: str = "GB",
    postcode: str | None = None,
    opt_in: bool = False,
    source: str | None = None,
) -> Signature:
    """A signature stored directly (pending unless `confirmed_at`), counted in the tally when
    confirmed: data the form would refuse (hostile names) can be stored too, as defence in
    depth for what other paths might let in."""
    n = next(_numbers)
    address = email or f"supporter{n}@example.org"
    when = signed_at or (confirmed_at - timedelta(minutes=5) if confirmed_at else utcnow())
    signature = Signature(
        campaign_id=campaign_id,
        first_name=first_name,
        last_name=last_name,
        email=address,
        email_normalised=address.lower(),
        country=country,
        postcode=postcode,
        opt_in=opt_in,
        source=source,
        status=SignatureStatus.CONFIRMED if confirmed_at else SignatureStatus.PENDING,
        signed_at=when,
        confirmed_at=confirmed_at,
        consent_version="test",
    )
    session.add(signature)
    session.flush()
    if confirmed_at is not None:
        add_to_tally(session, campaign_id, country, 1, confirmed_at, 4)
    return signature


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    *,
    next_url: str = "",
    address: str = "127.0.0.1",
) -> TestResponse:
    """Log in as a browser would: load the form for its CSRF token, then post it."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/organiser/login", environ_base=environ).get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": csrf_from(page),
        "email": email,
        "password": password,
        "next": next_url,
    }
    return client.post("/organiser/login", data=data, environ_base=environ)


@pytest.fixture(autouse=True)
def quick_login_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The slowdown itself is checked through the service's `wait`; HTTP tests need not wait.
    app.config.update(LOGIN_SLOWDOWN_SECONDS=0.001, LOGIN_SLOWDOWN_MAX_SECONDS=0.002)
    # Real Argon2id, at a cost that keeps hundreds of logins quick (the production
    # parameters are checked in test_passwords.py).
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def organiser(app: Flask, campaign: str) -> str:
    """An organiser who may see `campaign`; returns the address."""
    with app.app_context():
        make_organiser(
            db.session, "organiser@example.org", campaigns=[campaign_by_slug(db.session, campaign)]
        )
        db.session.commit()
    return "organiser@example.org"


@pytest.fixture
def admin(app: Flask) -> str:
    with app.app_context():
        make_organiser(db.session, "admin@example.org", admin=True)
        db.session.commit()
    return "admin@example.org"


@pytest.fixture
def organiser_client(app: Flask, organiser: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, organiser)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(app: Flask, admin: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, admin).status_code == 303
    return client


@pytest.fixture
def campaign_id(app: Flask, campaign: str) -> int:
    with app.app_context():
        return campaign_by_slug(db.session, campaign).id


def unique_address() -> str:
    return f"someone{next(_numbers)}@example.org"
