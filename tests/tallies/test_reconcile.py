"""`flask tallies reconcile` finds and corrects any drift between tallies and signatures."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.tallies.models import TallyShard
from tests.factories import sign
from tests.helpers import confirmation_path, confirmed_count, manage_path


def _confirm(app: Flask, client: FlaskClient, slug: str, email: str, country: str) -> None:
    sign(client, slug, email=email, country=country)
    client.post(confirmation_path(app))


def test_reconcile_reports_nothing_when_the_tallies_are_right(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _confirm(app, client, campaign, "a@example.org", "FR")
    result = app.test_cli_runner().invoke(args=["tallies", "reconcile", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "match" in result.output


def test_reconcile_finds_and_corrects_drift_in_every_direction(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _confirm(app, client, campaign, "a@example.org", "FR")
    _confirm(app, client, campaign, "b@example.org", "FR")
    _confirm(app, client, campaign, "c@example.org", "KE")
    _confirm(app, client, campaign, "d@example.org", "BR")
    with app.app_context():
        # Too many for France, none at all for Kenya, a country nobody signed from.
        db.session.execute(
            update(TallyShard).where(TallyShard.country == "FR").values(signature_count=7)
        )
        db.session.execute(delete(TallyShard).where(TallyShard.country == "KE"))
        db.session.add(
            TallyShard(
                campaign_id=db.session.scalar(
                    TallyShard.__table__.select().with_only_columns(TallyShard.campaign_id).limit(1)
                ),
                country="JP",
                shard=0,
                signature_count=3,
            )
        )
        db.session.commit()
    assert confirmed_count(app, campaign) != 4

    runner = app.test_cli_runner()
    checked = runner.invoke(args=["tallies", "reconcile", "--dry-run"])
    assert checked.exit_code == 1
    assert "JP: tally 3, confirmed signatures 0" in checked.output
    assert "KE: tally 0, confirmed signatures 1" in checked.output
    assert confirmed_count(app, campaign) != 4  # a dry run changes nothing

    fixed = runner.invoke(args=["tallies", "reconcile"])
    assert fixed.exit_code == 0, fixed.output
    assert "Corrected 3 difference(s)" in fixed.output
    assert confirmed_count(app, campaign) == 4
    published = client.get(f"/campaigns/{campaign}.json").get_json()["signatures_by_country"]
    by_country = {row["code"]: row["signature_count"] for row in published}
    assert by_country == {"FR": 2, "KE": 1, "BR": 1}
    again = runner.invoke(args=["tallies", "reconcile", "--dry-run"])
    assert again.exit_code == 0


def test_a_country_whose_signatures_were_all_deleted_is_no_difference_but_a_stray_one_is(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _confirm(app, client, campaign, "a@example.org", "FR")
    _confirm(app, client, campaign, "b@example.org", "KE")
    # The Kenyan supporter deletes their signature: Kenya's tally nets to zero (its rows stay).
    assert "Your signature is deleted" in client.post(manage_path(app, "delete")).get_data(
        as_text=True
    )
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["tallies", "reconcile", "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "match" in checked.output

    # One stray signature counted for a country nobody signed from is a difference.
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        db.session.add(
            TallyShard(campaign_id=campaign_id, country="JP", shard=0, signature_count=1)
        )
        db.session.commit()
    checked = runner.invoke(args=["tallies", "reconcile", "--dry-run"])
    assert checked.exit_code == 1
    assert "JP: tally 1, confirmed signatures 0" in checked.output
    assert "KE" not in checked.output and "FR" not in checked.output
