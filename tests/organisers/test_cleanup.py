"""Organisers' clean-up tools, as services: find, preview, invalidate or release in batches;
the public counts follow at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.identity import keyed_hash
from campaign.organisers.cleanup import (
    BulkAction,
    SignatureFilters,
    apply_batch,
    busiest_sources,
    preview,
)
from tests.helpers import confirmation_path, confirmed_count, signatures

SECRET = "test-secret-key"


def _sign_and_confirm(
    app: Flask,
    client: FlaskClient,
    slug: str,
    email: str,
    country: str,
    address: str = "203.0.113.1",
    confirm: bool = True,
) -> None:
    from tests.factories import csrf_token, signature_form

    path = f"/campaigns/{slug}"
    client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            **signature_form(email=email, country=country),
        },
        environ_overrides={"REMOTE_ADDR": address},
    )
    if confirm:
        client.post(confirmation_path(app))


def _run(
    app: Flask,
    slug: str,
    wanted: SignatureFilters,
    action: BulkAction = BulkAction.INVALIDATE,
    batch_size: int = 2,
) -> int:
    """Apply the action batch by batch, committing each, as the organiser view does."""
    total = 0
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        assert campaign_id is not None
        while True:
            result = apply_batch(
                db.session,
                campaign_id,
                wanted,
                action,
                secret_key=SECRET,
                now=utcnow(),
                tally_shards=8,
                batch_size=batch_size,
            )
            db.session.commit()
            if not result.changed:
                return total
            total += result.changed


def _preview(
    app: Flask, slug: str, wanted: SignatureFilters, action: BulkAction = BulkAction.INVALIDATE
) -> int:
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        return preview(db.session, campaign_id, wanted, action, SECRET)  # type: ignore[arg-type]


@pytest.fixture
def attacked(app: Flask, client: FlaskClient, campaign: str) -> str:
    """Three real supporters, and five bot signatures from one address and domain."""
    _sign_and_confirm(app, client, campaign, "ana@example.org", "BR", "198.51.100.1")
    _sign_and_confirm(app, client, campaign, "bo@example.org", "SE", "198.51.100.2")
    _sign_and_confirm(
        app, client, campaign, "chen@example.org", "CN", "198.51.100.3", confirm=False
    )
    for n in range(5):
        _sign_and_confirm(app, client, campaign, f"bot{n}@bot-farm.example", "FR", "203.0.113.66")
    return campaign


def test_preview_counts_what_a_filter_matches(app: Flask, attacked: str) -> None:
    assert (
        _preview(app, attacked, SignatureFilters(domain="bot-farm.example"), BulkAction.INVALIDATE)
        == 5
    )
    assert _preview(app, attacked, SignatureFilters(address="203.0.113.66")) == 5
    hashed = keyed_hash(SECRET, "203.0.113.66")
    assert _preview(app, attacked, SignatureFilters(address=hashed)) == 5
    assert _preview(app, attacked, SignatureFilters(country="se")) == 1
    assert (
        _preview(app, attacked, SignatureFilters(email="ANA@example.org"), BulkAction.INVALIDATE)
        == 1
    )
    assert _preview(app, attacked, SignatureFilters(domain="%")) == 0


def test_invalidating_in_batches_lowers_the_counts_at_once_and_reconciles(
    app: Flask, client: FlaskClient, attacked: str
) -> None:
    assert confirmed_count(app, attacked) == 7

    changed = _run(
        app, attacked, SignatureFilters(domain="bot-farm.example"), BulkAction.INVALIDATE
    )

    assert changed == 5
    assert confirmed_count(app, attacked) == 2
    published = client.get(f"/campaigns/{attacked}.json").get_json()
    assert {c["code"] for c in published["signatures_by_country"]} == {"BR", "SE"}
    assert [s.status for s in signatures(app)].count("invalidated") == 5
    result = app.test_cli_runner().invoke(args=["tallies", "reconcile", "--dry-run"])
    assert result.exit_code == 0, result.output
    # Running it again changes nothing; an invalidated signature's link no longer works.
    assert _run(app, attacked, SignatureFilters(domain="bot-farm.example")) == 0
    assert client.post(confirmation_path(app)).status_code == 404


def test_releasing_suspect_signatures_counts_the_confirmed_ones(
    app: Flask, client: FlaskClient, campaign: str, make_app: Callable[..., Flask]
) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_SUSPECT_PER_ADDRESS="1/minute")
    limited_client = limited.test_client()
    for n in range(3):
        _sign_and_confirm(
            limited,
            limited_client,
            campaign,
            f"office{n}@example.org",
            "KE",
            "192.0.2.10",
            confirm=n != 2,
        )
    assert [s.suspect for s in signatures(app)] == [False, True, True]
    assert confirmed_count(app, campaign) == 1

    assert _preview(app, campaign, SignatureFilters(suspect_only=True), BulkAction.RELEASE) == 2
    assert _run(app, campaign, SignatureFilters(suspect_only=True), BulkAction.RELEASE) == 2

    assert confirmed_count(app, campaign) == 2  # the pending one counts when confirmed
    assert not any(s.suspect for s in signatures(app))
    client.post(confirmation_path(app))
    assert confirmed_count(app, campaign) == 3


def test_the_busiest_addresses_and_domains_of_the_last_hour(app: Flask, attacked: str) -> None:
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == attacked))
        addresses, domains = busiest_sources(db.session, campaign_id, utcnow())  # type: ignore[arg-type]
        assert addresses[0].key == keyed_hash(SECRET, "203.0.113.66")
        assert addresses[0].signatures == 5
        assert (domains[0].key, domains[0].signatures) == ("bot-farm.example", 5)
        later, _ = busiest_sources(db.session, campaign_id, utcnow() + timedelta(hours=2))  # type: ignore[arg-type]
        assert later == []
