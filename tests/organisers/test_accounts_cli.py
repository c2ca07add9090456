"""`flask organisers …`: creating accounts, passwords, deactivation and campaign access."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.extensions import db
from campaign.organisers.models import CampaignMembership, Organiser
from campaign.organisers.passwords import verify_password
from tests.factories import PASSWORD, campaign_by_slug, login

ROOT = Path(__file__).resolve().parents[2]


def organisers(app: Flask) -> list[Organiser]:
    with app.app_context():
        rows = list(db.session.scalars(select(Organiser).order_by(Organiser.id)).all())
        db.session.expunge_all()
        return rows


def test_create_reads_the_password_twice_from_piped_input_and_stores_an_argon2id_hash(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=["organisers", "create", " Staff@Example.org "], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert "created organiser staff@example.org" in result.output
    [organiser] = organisers(app)
    assert organiser.email == "staff@example.org"
    assert organiser.password_hash.startswith("$argon2id$")
    assert PASSWORD not in organiser.password_hash
    assert verify_password(organiser.password_hash, PASSWORD)
    assert organiser.is_admin is False and organiser.active is True


def test_create_works_as_a_real_command_with_the_password_piped_in(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    # Not through click's test runner: the real standard input, no terminal, as an
    # operator's script would run it (getpass would read the terminal, not the pipe).
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "FLASK_DEBUG": "",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "organisers",
            "create",
            "ops@example.org",
            "--admin",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "created admin ops@example.org" in result.stdout
    [organiser] = organisers(app)
    assert organiser.is_admin is True


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("short pass1\nshort pass1\n", "at least 12 characters"),
        (f"{PASSWORD}\n{PASSWORD}!\n", "differ"),
        (f"{PASSWORD}\n", "differ"),
        ("", "No password"),
        ("staff@example.org\nstaff@example.org\n", "must not be the email address"),
        ("x" * 1025 + "\n" + "x" * 1025 + "\n", "at most 1024"),
    ],
    ids=["too-short", "different", "only-once", "nothing", "the-address", "too-long"],
)
def test_create_refuses_a_bad_password_and_stores_nothing(
    app: Flask, runner: FlaskCliRunner, typed: str, message: str
) -> None:
    result = runner.invoke(args=["organisers", "create", "staff@example.org"], input=typed)

    assert result.exit_code != 0
    assert message in result.output
    assert organisers(app) == []


def test_a_password_of_exactly_twelve_characters_in_any_script_is_accepted(
    app: Flask, runner: FlaskCliRunner
) -> None:
    password = "мой пароль 1"  # 12 characters, more bytes
    result = runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{password}\n{password}\n"
    )
    assert result.exit_code == 0, result.output
    assert verify_password(organisers(app)[0].password_hash, password)


@pytest.mark.parametrize(
    "email", ["not-an-address", "", "a@b@example.org", "x" * 250 + "@example.org"]
)
def test_create_refuses_an_invalid_address(runner: FlaskCliRunner, app: Flask, email: str) -> None:
    result = runner.invoke(args=["organisers", "create", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0
    assert organisers(app) == []


def test_create_refuses_an_address_that_already_has_an_account(
    app: Flask, runner: FlaskCliRunner
) -> None:
    runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    result = runner.invoke(
        args=["organisers", "create", "STAFF@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert len(organisers(app)) == 1


def test_list_shows_each_account_with_its_role_status_and_campaigns(
    app: Flask, runner: FlaskCliRunner, campaign: str
) -> None:
    for args in (["staff@example.org"], ["boss@example.org", "--admin"]):
        runner.invoke(args=["organisers", "create", *args], input=f"{PASSWORD}\n{PASSWORD}\n")
    runner.invoke(args=["organisers", "grant", "staff@example.org", campaign])
    runner.invoke(args=["organisers", "deactivate", "boss@example.org"])

    lines = runner.invoke(args=["organisers", "list"]).output.splitlines()

    assert lines[0].split("\t")[:4] == ["boss@example.org", "admin", "deactivated", "all campaigns"]
    assert lines[1].split("\t")[:4] == ["staff@example.org", "organiser", "active", campaign]
    assert "last login: never" in lines[1]


def test_set_password_replaces_the_password_and_ends_open_sessions(
    app: Flask, runner: FlaskCliRunner
) -> None:
    runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 303
    assert client.get("/organiser/").status_code == 200

    new = "a brand new passphrase"
    result = runner.invoke(
        args=["organisers", "set-password", "staff@example.org"], input=f"{new}\n{new}\n"
    )

    assert result.exit_code == 0, result.output
    assert client.get("/organiser/").status_code == 302  # the old session is over
    assert login(app.test_client(), "staff@example.org").status_code == 422
    assert login(app.test_client(), "staff@example.org", new).status_code == 303


def test_set_password_for_an_unknown_address_says_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["organisers", "set-password", "nobody@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code != 0
    assert "No organiser has the address nobody@example.org" in result.output


def test_deactivate_refuses_logins_and_activate_allows_them_again(
    app: Flask, runner: FlaskCliRunner
) -> None:
    runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert runner.invoke(args=["organisers", "deactivate", "staff@example.org"]).exit_code == 0
    assert login(app.test_client(), "staff@example.org").status_code == 422

    assert runner.invoke(args=["organisers", "activate", "staff@example.org"]).exit_code == 0
    assert login(app.test_client(), "staff@example.org").status_code == 303


def test_grant_and_revoke_decide_which_campaigns_an_organiser_sees(
    app: Flask, runner: FlaskCliRunner, campaign: str
) -> None:
    runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    client = app.test_client()
    login(client, "staff@example.org")
    assert client.get(f"/organiser/campaigns/{campaign}").status_code == 403

    result = runner.invoke(args=["organisers", "grant", "staff@example.org", campaign])
    assert result.exit_code == 0 and "may now see" in result.output
    again = runner.invoke(args=["organisers", "grant", "staff@example.org", campaign])
    assert again.exit_code == 0 and "could already see" in again.output
    assert client.get(f"/organiser/campaigns/{campaign}").status_code == 200

    assert (
        runner.invoke(args=["organisers", "revoke", "staff@example.org", campaign]).exit_code == 0
    )
    assert client.get(f"/organiser/campaigns/{campaign}").status_code == 403
    with app.app_context():
        assert db.session.scalars(select(CampaignMembership)).all() == []
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["organiser.create", "organiser.grant", "organiser.revoke"]


def test_grant_names_what_does_not_exist(app: Flask, runner: FlaskCliRunner, campaign: str) -> None:
    runner.invoke(
        args=["organisers", "create", "staff@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    no_campaign = runner.invoke(
        args=["organisers", "grant", "staff@example.org", "no-such-campaign"]
    )
    no_account = runner.invoke(args=["organisers", "grant", "nobody@example.org", campaign])
    assert (
        no_campaign.exit_code != 0
        and "No campaign has the slug 'no-such-campaign'" in no_campaign.output
    )
    assert no_account.exit_code != 0 and "No organiser has the address" in no_account.output
    with app.app_context():
        campaign_by_slug(db.session, campaign)  # untouched
