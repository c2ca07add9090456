"""Paper signatures: a sheet is checked as the form checks, imported whole or not at all,
confirmed and counted at once, and never twice."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.extensions import db
from tests.api.conftest import make_key
from tests.factories import sign
from tests.helpers import confirmation_path, confirmed_count, outbox, signatures

GOOD = (
    "first_name,last_name,email,country,postcode\r\n"
    "Rosa,Parks,,US,36104\r\n"
    "Ada,Lovelace,ada@example.org,gb,\r\n"
    "Jean,Moulin,,FR,\r\n"
)


def _sheet(tmp_path: Path, text: str, name: str = "stall.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_sheet_is_imported_confirmed_counted_and_audited(
    app: Flask, runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    result = runner.invoke(args=["signatures", "import", campaign, str(_sheet(tmp_path, GOOD))])

    assert result.exit_code == 0, result.output
    assert "Imported 3 signature(s)" in result.output
    assert confirmed_count(app, campaign) == 3
    rows = signatures(app)
    assert {(s.first_name, s.email, s.country, s.status, s.source) for s in rows} == {
        ("Rosa", "", "US", "confirmed", "paper"),
        ("Ada", "ada@example.org", "GB", "confirmed", "paper"),
        ("Jean", "", "FR", "confirmed", "paper"),
    }
    assert all(s.import_key and not s.opt_in for s in rows)
    assert outbox(app) == []  # nobody is emailed: confirmed on the organiser's word
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent)).all()
    assert event.action == "signatures.import" and event.row_count == 3
    assert event.details["file"] == "stall.csv" and event.actor == "command line"


def test_the_same_sheet_twice_adds_nothing_and_an_address_that_signed_online_is_not_doubled(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    sign(client, campaign, email="ada@example.org")
    client.post(confirmation_path(app))
    sheet = str(_sheet(tmp_path, GOOD))

    first = runner.invoke(args=["signatures", "import", campaign, sheet])
    again = runner.invoke(args=["signatures", "import", campaign, sheet])

    assert "Imported 2 signature(s)" in first.output and "1 already there" in first.output
    assert "Imported 0 signature(s)" in again.output and "3 already there" in again.output
    assert len(signatures(app)) == 3 and confirmed_count(app, campaign) == 3


def test_a_sheet_with_a_bad_row_imports_nothing_and_names_each_bad_line(
    app: Flask, runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    text = GOOD + "Spam,www.spam.com,,US,\r\n,Nameless,not-an-address,XX,\r\n"

    result = runner.invoke(args=["signatures", "import", campaign, str(_sheet(tmp_path, text))])

    assert result.exit_code == 1
    assert "line 5: last_name: A name cannot contain a web address." in result.output
    assert "line 6: first_name: Please enter your first name." in result.output
    assert "email: Please enter a valid email address" in result.output
    assert "country: Please choose your country from the list." in result.output
    assert "nothing was imported" in result.output
    assert signatures(app) == [] and confirmed_count(app, campaign) == 0


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_to_a_file(
    app: Flask, runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    sheet = _sheet(tmp_path, GOOD + "Nameless,,,ZZ,\r\n")

    result = runner.invoke(args=["signatures", "import", campaign, str(sheet), "--skip-invalid"])

    assert result.exit_code == 0, result.output
    assert "Imported 3" in result.output
    rejects = (tmp_path / "stall.rejects.csv").read_text(encoding="utf-8")
    assert rejects.splitlines()[1].startswith("5,Nameless,,,ZZ,,")
    assert "country: Please choose your country" in rejects


def test_the_rejects_file_neutralises_formulas_in_the_bad_rows(
    runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    # The organiser opens the rejects in a spreadsheet to mend them.
    sheet = _sheet(tmp_path, GOOD + '=HYPERLINK(""http://x.example""),Doe,,ZZ,\r\n')

    result = runner.invoke(args=["signatures", "import", campaign, str(sheet), "--skip-invalid"])

    assert result.exit_code == 0, result.output
    rejects = (tmp_path / "stall.rejects.csv").read_text(encoding="utf-8")
    assert rejects.splitlines()[1].startswith("5,\"'=HYPERLINK(")


def test_a_file_that_is_not_a_sheet_is_refused(
    runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    wrong_header = runner.invoke(
        args=["signatures", "import", campaign, str(_sheet(tmp_path, "name,mail\r\nA,B\r\n"))]
    )
    assert (
        wrong_header.exit_code == 1
        and "missing: first_name, last_name, country" in wrong_header.output
    )
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    assert "not UTF-8" in runner.invoke(args=["signatures", "import", campaign, str(binary)]).output
    assert runner.invoke(args=["signatures", "import", "nope", str(binary)]).exit_code == 1


def test_paper_signatures_survive_reconcile_and_appear_in_exports_and_the_api(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, campaign: str, tmp_path: Path
) -> None:
    runner.invoke(args=["signatures", "import", campaign, str(_sheet(tmp_path, GOOD))])

    reconcile = runner.invoke(args=["tallies", "reconcile", "--dry-run"])
    assert reconcile.exit_code == 0, reconcile.output
    export = runner.invoke(args=["export", "signatures", campaign])
    assert "Rosa,Parks,,US,36104" in export.output and ",paper," in export.output
    key = make_key(runner, "CRM")
    listed = client.get(
        f"/api/v1/petitions/{campaign}/signatures", headers={"OSDI-API-Token": key}
    ).get_json()["_embedded"]["osdi:signatures"]
    assert {s["origin_system"] for s in listed} == {"paper"}
    assert {s["referrer_data"]["source"] for s in listed} == {"paper"}
