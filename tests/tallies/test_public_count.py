"""What the public count says: the thank-you page's own count, and the JSON's time of the
last change to it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from campaign.extensions import db
from campaign.signing.models import Signature
from campaign.tallies.services import add_to_tally
from tests.factories import campaign_by_slug, sign
from tests.helpers import confirmation_path


def test_a_supporter_held_as_suspect_sees_the_count_without_their_signature(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    with app.app_context():  # as the soft rate limit does: accepted, held back from the count
        db.session.execute(update(Signature).values(suspect=True))
        db.session.commit()

    page = client.post(confirmation_path(app)).get_data(as_text=True)

    assert "<strong data-live-count>0</strong>" in page


def test_the_json_lists_countries_by_count_and_says_when_any_last_changed(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    first = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    last = datetime(2026, 5, 2, 17, 30, tzinfo=UTC)
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        add_to_tally(db.session, campaign_id, "DE", 1, last, 1)
        add_to_tally(db.session, campaign_id, "IE", 2, first, 1)
        add_to_tally(db.session, campaign_id, "FR", 2, first, 1)
        db.session.commit()

    tally = client.get(f"/campaigns/{campaign}.json").get_json()

    assert tally["signature_count"] == 5
    # Most first; countries with as many, by code.
    assert [c["code"] for c in tally["signatures_by_country"]] == ["FR", "IE", "DE"]
    assert datetime.fromisoformat(tally["updated_at"]) == last
