"""Small factories that build test data through the same models, and the same rules
(address normalisation, the configured tally shards), that the app uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.identity import normalise_email
from campaign.organisers.models import CampaignMembership, Organiser
from campaign.organisers.passwords import hash_password
from campaign.signing.models import Signature, SignatureStatus
from campaign.tallies.services import add_to_tally

PASSWORD = "correct horse battery staple"
_numbers = count(1)


def make_campaign(session: Session, **overrides: Any) -> Campaign:
    n = next(_numbers)
    values: dict[str, Any] = {
        "slug": f"test-campaign-{n}",
        "title": f"Test campaign {n}",
        "summary": "Stop the spyware.",
        "body": "## Our demand\n\nA moratorium **now**.",
        "target": "World leaders",
        "goal": 1000,
        "featured": True,
        "show_recent_signers": True,
    }
    values.update(overrides)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    return campaign


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
    depth for what other paths might let in. Needs an app context (for the shard count)."""
    address = email or f"supporter{next(_numbers)}@example.org"
    when = signed_at or (confirmed_at - timedelta(minutes=5) if confirmed_at else utcnow())
    signature = Signature(
        campaign_id=campaign_id,
        first_name=first_name,
        last_name=last_name,
        email=address,
        email_normalised=normalise_email(address),
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
        shards = current_app.config["TALLY_SHARDS"]
        add_to_tally(session, campaign_id, country, 1, confirmed_at, shards)
    return signature


def unique_address() -> str:
    return f"someone{next(_numbers)}@example.org"


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


_CSRF_FIELDS = (
    re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),  # Flask-WTF's hidden_tag
    re.compile(r'name="csrf_token" value="([^"]+)"'),  # a form written by hand
)


def csrf_from(page: str) -> str:
    """The CSRF token in a page's form, whichever way the form writes the field."""
    for pattern in _CSRF_FIELDS:
        match = pattern.search(page)
        if match:
            return match.group(1)
    raise AssertionError("the page has no CSRF token")


def csrf_token(client: FlaskClient, path: str) -> str:
    """Load `path` as a browser would and return the CSRF token of its form."""
    return csrf_from(client.get(path).get_data(as_text=True))


def signature_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "postcode": "",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def sign(client: FlaskClient, slug: str, *, query: str = "", **overrides: Any) -> TestResponse:
    """Sign as a browser would: load the page for its CSRF token, then post the form."""
    path = f"/campaigns/{slug}{query}"
    data = signature_form(**overrides)
    data.setdefault("csrf_token", csrf_token(client, path))
    return client.post(path, data=data)


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


def utc(text: str) -> datetime:
    """An ISO 8601 time in UTC: one with no zone is taken as UTC, one with a zone converted."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
