"""Small factories that build test data through the same models the app uses."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import count
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from campaign.campaigns.models import Campaign

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


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


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


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)
