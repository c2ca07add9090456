"""Campaign content in several languages: folders of `<language>.md` files, seeded together."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.extensions import db
from tests.helpers import count_rows

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "campaigns"

MAIN = """title: Stop it
summary: A summary.
target: Leaders
goal: 500

Our demand.
"""
FRENCH = """title: Arrêtez
summary: Un résumé.
target: Les dirigeants

Notre demande.
"""


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def seed(runner: FlaskCliRunner, directory: Path) -> str:
    result = runner.invoke(args=["campaigns", "seed", "--directory", str(directory)])
    assert result.exit_code == 0, result.output
    return result.output


def translations(app: Flask) -> dict[str, CampaignTranslation]:
    with app.app_context():
        rows = db.session.scalars(select(CampaignTranslation)).all()
        db.session.expunge_all()
        return {row.locale: row for row in rows}


def test_seeding_the_real_campaign_loads_its_english_and_its_french_text(
    app: Flask, runner: FlaskCliRunner
) -> None:
    output = seed(runner, CONTENT_DIR)

    assert "created: surveillance-moratorium (en, fr)" in output
    french = translations(app)["fr"]
    assert french.title.startswith("Halte aux logiciels espions")
    assert french.target == "Les États et les dirigeants du monde"
    # The facts are the same in both languages.
    for fact in ("50\u202f000", "17 médias", "180", "600", "85", "65", "Agnès Callamard"):
        assert fact in french.body, fact
    assert "moratoire" in french.body and "Amnesty International" in french.summary


def test_reseeding_updates_each_language_and_drops_a_language_whose_file_is_gone(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "stop-it"
    write(folder, "en.md", MAIN)
    write(folder, "fr.md", FRENCH)
    seed(runner, tmp_path)

    write(folder, "fr.md", FRENCH.replace("Arrêtez", "Arrêtez tout"))
    output = seed(runner, tmp_path)
    assert "updated: stop-it (en, fr)" in output
    assert translations(app)["fr"].title == "Arrêtez tout"

    (folder / "fr.md").unlink()
    seed(runner, tmp_path)
    assert translations(app) == {}
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert (campaign.slug, campaign.locale, campaign.goal) == ("stop-it", "en", 500)


def test_a_campaign_may_be_written_first_in_french(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "arretez", "fr.md", FRENCH.replace("target:", "goal: 10\ntarget:"))
    write(tmp_path / "arretez", "en.md", MAIN.replace("goal: 500\n", ""))

    seed(runner, tmp_path)

    with app.app_context():
        assert db.session.scalars(select(Campaign.locale)).one() == "fr"
    assert list(translations(app)) == ["en"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"en.md": MAIN, "fr.md": MAIN}, "belong in one file only"),
        ({"en.md": MAIN, "fr.md": FRENCH.replace("target:", "goal: 9\ntarget:")}, "one file"),
        ({"en.md": MAIN, "fr.md": "featured: true\n" + FRENCH}, "featured belong in the main"),
        ({"en.md": MAIN, "fr.md": "title: Arrêtez\n\nTexte.\n"}, "fr.md: missing summary"),
        ({"fr.md": FRENCH}, "no file has the settings"),
        ({"en.md": MAIN, "french.md": FRENCH}, "'french' is not a language code"),
        ({"en.md": MAIN, "zz.md": FRENCH}, "'zz' is not a language code"),
        ({"en.md": "slug: other\n" + MAIN}, "slug must be the folder's name"),
        ({"en.md": "locale: fr\n" + MAIN}, "locale must match the file's name"),
    ],
)
def test_a_campaign_folder_that_cannot_be_read_is_refused_clearly_and_nothing_is_saved(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        write(tmp_path / "stop-it", name, text)

    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])

    assert result.exit_code != 0
    assert message in result.output
    assert count_rows(app, Campaign) == 0
    assert count_rows(app, CampaignTranslation) == 0


@pytest.mark.parametrize("folder", ["Stop-It", "stop_it", "stop.it", "-stop", "x" * 65])
def test_a_slug_that_no_url_could_reach_is_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, folder: str
) -> None:
    write(tmp_path / folder, "en.md", MAIN)

    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])

    assert result.exit_code != 0
    assert "slug must be lowercase letters, digits and hyphens" in result.output
    assert count_rows(app, Campaign) == 0


def test_two_campaigns_with_one_slug_are_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    shutil.copytree(CONTENT_DIR / "surveillance-moratorium", tmp_path / "surveillance-moratorium")
    write(tmp_path, "copy.md", "slug: surveillance-moratorium\n" + MAIN)

    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])

    assert result.exit_code != 0
    assert "more than one campaign has the slug surveillance-moratorium" in result.output


def test_deleting_a_campaign_deletes_its_translations(app: Flask, runner: FlaskCliRunner) -> None:
    seed(runner, CONTENT_DIR)
    with app.app_context():
        db.session.delete(db.session.scalars(select(Campaign)).one())
        db.session.commit()
    assert count_rows(app, CampaignTranslation) == 0
