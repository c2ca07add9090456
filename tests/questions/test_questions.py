"""A campaign's own questions: written in its content folder, asked through the API,
checked like every field, stored per signature, exported after the contract's columns,
shown in the access report and removed by anonymisation."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.campaigns.questions import (
    QuestionsError,
    campaign_questions,
    questions_from_toml,
    questions_to_json,
    questions_to_toml,
)
from campaign.database import utcnow
from campaign.extensions import db
from tests.api.conftest import make_key
from tests.helpers import confirmation_path, signatures
from tests.questions.conftest import MAIN, QUESTIONS


def _record(client: FlaskClient, key: str, slug: str, **custom: object) -> tuple[int, dict]:
    body = {
        "person": {
            "given_name": "Grace",
            "family_name": "Hopper",
            "email_addresses": [{"address": "grace@example.org"}],
            "postal_addresses": [{"country": "US"}],
            "custom_fields": custom,
        }
    }
    response = client.post(
        f"/api/v1/petitions/{slug}/signatures", json=body, headers={"OSDI-API-Token": key}
    )
    return response.status_code, response.get_json(force=True)


def test_questions_are_read_from_the_content_folder_when_the_campaign_is_made(
    app: Flask, asking: str
) -> None:
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == asking))
        assert campaign is not None and campaign.questions is not None
        assert [q["key"] for q in campaign.questions] == ["member", "region", "why"]
        assert campaign.questions[1]["choices"][0] == {
            "value": "north",
            "label": {"en": "North", "fr": "Nord"},
        }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[question]]\nkey = "email"\ntype = "text"\nlabel.en = "x"', "not one of the export"),
        ('[[question]]\nkey = "a"\ntype = "slider"\nlabel.en = "x"', "type must be one of"),
        ('[[question]]\nkey = "a"\ntype = "text"', "label"),
        (
            '[[question]]\nkey = "a"\ntype = "choice"\nlabel.en = "x"\n'
            'choices = [{value = "y", label.en = "Y"}]',
            "2 to 30 choices",
        ),
        (
            "\n".join(
                f'[[question]]\nkey = "q{n}"\ntype = "text"\nlabel.en = "x"' for n in range(6)
            ),
            "at most 5",
        ),
        ("[[question]\n", "not valid TOML"),
    ],
)
def test_questions_that_cannot_be_used_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(QuestionsError, match=problem):
        questions_from_toml(text)


def test_a_bad_questions_file_stops_the_seed_with_its_name(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "en.md").write_text(MAIN, encoding="utf-8")
    (folder / "questions.toml").write_text('[[question]]\nkey = "Bad Key"\n', encoding="utf-8")
    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])
    assert result.exit_code != 0 and "questions.toml" in result.output


def test_answers_are_checked_like_every_field(
    client: FlaskClient, runner: FlaskCliRunner, asking: str
) -> None:
    key = make_key(runner, "CRM")

    status, body = _record(client, key, asking, region="west", why="x" * 41, member="yes", age="3")

    assert status == 422
    assert set(body["errors"]) == {
        "person.custom_fields.region",
        "person.custom_fields.why",
        "person.custom_fields.member",
        "person.custom_fields.age",
    }
    missing = _record(client, key, asking)[1]["errors"]
    assert missing == {"person.custom_fields.region": ["Please choose an answer."]}


def test_answers_are_stored_returned_exported_and_reported_and_anonymisation_drops_them(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, asking: str
) -> None:
    key = make_key(runner, "CRM")
    why = " \u202e=Because\u200b "
    status, body = _record(client, key, asking, region="south", why=why, member=True)
    assert status == 201, body
    # Invisible format characters go, as from names: they would spoof how the answer reads.
    assert body["person"]["custom_fields"] == {"member": True, "region": "south", "why": "=Because"}
    client.post(confirmation_path(app))

    export = runner.invoke(args=["export", "signatures", asking]).output.splitlines()
    assert export[0].endswith("confirmed_at,locale,consent_version,member,region,why")
    assert export[1].endswith(",true,south,'=Because")  # a formula is neutralised
    report = json.loads(runner.invoke(args=["privacy", "show", "grace@example.org"]).output)
    assert report["signatures"][0]["answers"] == {
        "member": True,
        "region": "south",
        "why": "=Because",
    }

    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == asking))
        assert campaign is not None
        campaign.closes_at = utcnow() - timedelta(days=400)
        db.session.commit()
    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    [signature] = signatures(app)
    assert signature.anonymised_at is not None and signature.answers is None


def test_stored_questions_read_back_the_same() -> None:
    questions = questions_from_toml(QUESTIONS)
    stored = questions_to_json(questions)
    assert campaign_questions(stored) == questions
    assert questions_from_toml(questions_to_toml(questions)) == questions
