"""The public campaign page, its JSON tally, and loading campaign content."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from campaign.campaigns.content import read_campaign_folder
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.signing.models import Signature
from tests.factories import sign
from tests.helpers import confirmation_path, count_rows

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "campaigns"


def test_the_home_page_leads_to_the_featured_campaign(client: FlaskClient, campaign: str) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/campaigns/{campaign}"


def test_the_campaign_page_has_the_demand_the_count_the_form_and_share_links(
    client: FlaskClient, campaign: str
) -> None:
    response = client.get(f"/campaigns/{campaign}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "<h1>Test campaign" in page
    assert "<strong>now</strong>" in page  # the Markdown body, rendered
    assert "World leaders" in page
    assert '<progress max="1000" value="0"' in page
    for field in ("first_name", "last_name", "email", "country", "postcode", "opt_in"):
        assert f'name="{field}"' in page
        if field != "opt_in":
            assert f'<label for="{field}">' in page
    assert '<option value="KE">Kenya</option>' in page
    assert 'property="og:title"' in page and 'name="twitter:card"' in page
    for source in ("twitter", "facebook", "whatsapp", "email"):
        assert f"source%3D{source}" in page or f"source={source}" in page
    # Nothing is loaded from another host.
    assert 'src="http' not in page and 'href="http' not in page.split("<body")[0].replace(
        'href="https://petition.example.org', ""
    )


def test_recent_signers_show_country_and_time_never_names(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, first_name="Wanjiru", last_name="Kamau", country="KE")
    client.post(confirmation_path(app))

    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)

    assert "Someone in Kenya" in page
    assert "Wanjiru" not in page and "Kamau" not in page


def test_the_json_tally_has_the_contract_fields_and_may_be_cached_briefly(
    client: FlaskClient, campaign: str
) -> None:
    response = client.get(f"/campaigns/{campaign}.json")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {
        "slug",
        "title",
        "url",
        "signature_count",
        "goal",
        "signatures_by_country",
        "updated_at",
    }
    assert data["url"] == f"https://petition.example.org/campaigns/{campaign}"
    assert data["signature_count"] == 0
    assert "max-age=" in response.headers["Cache-Control"]


def test_an_unknown_campaign_is_a_404_page_of_our_own(client: FlaskClient, campaign: str) -> None:
    for path in ("/campaigns/nope", "/campaigns/nope.json", "/campaigns/" + "x" * 500):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_the_wrong_method_gets_our_own_405_page(client: FlaskClient, campaign: str) -> None:
    response = client.delete(f"/campaigns/{campaign}")
    assert response.status_code == 405
    assert "cannot be used that way" in response.get_data(as_text=True)


def test_healthz_answers_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path: Path) -> None:
    from campaign import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_seeding_the_real_content_creates_the_campaign_then_only_updates_it(
    app: Flask, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["campaigns", "seed"])
    second = runner.invoke(args=["campaigns", "seed"])

    assert first.exit_code == 0, first.output
    assert "created: surveillance-moratorium" in first.output
    assert "updated: surveillance-moratorium" in second.output
    with app.app_context():
        [campaign] = db.session.scalars(select(Campaign)).all()
        assert campaign.goal > 0
        assert "States and world leaders" in campaign.target
        for fact in (
            "50,000",
            "17 media outlets",
            "180",
            "600",
            "85",
            "65",
            "Agnès Callamard",
            "NSO Group",
            "moratorium",
        ):
            assert fact in campaign.body + campaign.summary, fact


def test_seeding_keeps_settings_organisers_changed(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["campaigns", "seed"])
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        campaign.goal = 250_000
        db.session.commit()
    runner.invoke(args=["campaigns", "seed"])
    with app.app_context():
        assert db.session.scalars(select(Campaign)).one().goal == 250_000


def test_a_content_file_with_a_missing_field_is_refused_clearly(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    (tmp_path / "broken.md").write_text("slug: broken\ntitle: Broken\n\nBody.\n", encoding="utf-8")
    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])
    assert result.exit_code != 0
    assert "missing summary, target, goal" in result.output
    assert count_rows(app, Campaign) == 0


def test_the_shipped_content_reads_in_english_and_french() -> None:
    content = read_campaign_folder(CONTENT_DIR / "surveillance-moratorium")
    assert content.slug == "surveillance-moratorium"
    assert content.featured
    assert content.locales == ["en", "fr"]


def test_the_whole_journey_on_the_seeded_campaign(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    runner.invoke(args=["campaigns", "seed"])
    home = client.get("/", follow_redirects=True)
    assert "moratorium" in home.get_data(as_text=True).lower()

    sign(client, "surveillance-moratorium", email="newcomer@example.org")
    client.post(confirmation_path(app))

    assert client.get("/campaigns/surveillance-moratorium.json").get_json()["signature_count"] == 1
    assert count_rows(app, Signature) == 1
