"""The campaign page's counts are cached for a while (TALLY_CACHE_SECONDS), but an organiser's
clean-up and a reconcile that corrects the tally show on the public page at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from campaign.cache import ShortLivedCache
from campaign.database import utcnow
from campaign.extensions import db
from campaign.tallies.services import add_to_tally
from tests.factories import add_signature, csrf_from


@pytest.fixture
def cached(app: Flask) -> Flask:
    """The page cache as in production, long enough that only clearing it can explain a
    change within the test."""
    app.extensions["campaign_page_cache"] = ShortLivedCache(3600)
    return app


def public_count(client: FlaskClient, slug: str) -> int:
    response = client.get(f"/campaigns/{slug}.json")
    assert response.status_code == 200
    return int(response.get_json()["signature_count"])


def test_a_clean_up_shows_on_the_public_count_at_once(
    cached: Flask,
    organiser_client: FlaskClient,
    client: FlaskClient,
    campaign: str,
    campaign_id: int,
) -> None:
    with cached.app_context():
        for n in range(3):
            add_signature(
                db.session, campaign_id, email=f"bot{n}@bot-farm.example", confirmed_at=utcnow()
            )
        add_signature(db.session, campaign_id, email="real@example.org", confirmed_at=utcnow())
        db.session.commit()
    assert public_count(client, campaign) == 4  # now in the cache
    path = f"/organiser/campaigns/{campaign}/cleanup"
    preview = organiser_client.get(path, query_string={"domain": "bot-farm.example"})

    response = organiser_client.post(
        path,
        data={
            "csrf_token": csrf_from(preview.get_data(as_text=True)),
            "action": "invalidate",
            "domain": "bot-farm.example",
        },
    )

    assert response.status_code == 302
    assert public_count(client, campaign) == 1


def test_a_reconcile_that_corrects_the_tally_shows_on_the_public_count_at_once(
    cached: Flask, runner: FlaskCliRunner, client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with cached.app_context():
        for _ in range(2):
            add_signature(db.session, campaign_id, confirmed_at=utcnow() - timedelta(hours=1))
        # The tally drifted (a bug, a restore from backup): it says 5 where 2 signed.
        add_to_tally(db.session, campaign_id, "GB", 3, utcnow(), cached.config["TALLY_SHARDS"])
        db.session.commit()
    assert public_count(client, campaign) == 5  # now in the cache

    result = runner.invoke(args=["tallies", "reconcile"])

    assert result.exit_code == 0, result.output
    assert "Corrected 1 difference(s)." in result.output
    assert public_count(client, campaign) == 2
