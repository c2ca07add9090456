"""The signatures export: the contract's columns, confirmed signatures only, and its filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from campaign.database import utcnow
from campaign.extensions import db
from tests.exports.helpers import as_dicts, parse
from tests.factories import add_signature

COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "opt_in",
    "source",
    "signed_at",
    "confirmed_at",
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def three_days(app: Flask, campaign_id: int) -> None:
    with app.app_context():
        add_signature(
            db.session,
            campaign_id,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            country="GB",
            postcode="N1 9GU",
            opt_in=True,
            source="twitter",
            signed_at=at("2026-11-25 23:58:01.250000"),
            confirmed_at=at("2026-11-26 00:00:00"),
        )
        add_signature(
            db.session,
            campaign_id,
            email="b@example.org",
            confirmed_at=at("2026-11-26 23:59:59.999999"),
        )
        add_signature(
            db.session,
            campaign_id,
            email="c@example.org",
            opt_in=True,
            confirmed_at=at("2026-11-27 12:00"),
        )
        add_signature(
            db.session, campaign_id, email="d@example.org", confirmed_at=at("2026-11-28 00:00")
        )
        add_signature(db.session, campaign_id, email="pending@example.org", opt_in=True)
        db.session.commit()


def test_the_export_has_the_contract_columns_in_order_and_only_confirmed_signatures(
    organiser_client: FlaskClient, campaign: str, three_days: None
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv")

    assert response.status_code == 200
    rows = parse(response.data)
    assert rows[0] == [*COLUMNS, "locale", "consent_version"]  # the contract's first
    assert [row[2] for row in rows[1:]] == [
        "ada@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ]  # oldest confirmation first; the pending signature is not there
    assert rows[1] == [
        "Ada",
        "Lovelace",
        "ada@example.org",
        "GB",
        "N1 9GU",
        "true",
        "twitter",
        "2026-11-25T23:58:01Z",
        "2026-11-26T00:00:00Z",
        "en",
        "test",
    ]
    assert [row[5] for row in rows[1:]] == ["true", "false", "true", "false"]
    assert rows[2][4] == "" and rows[2][6] == ""  # no postcode, no source: empty cells


def test_the_download_is_a_utf8_csv_attachment_named_after_the_campaign_and_the_day(
    organiser_client: FlaskClient, campaign: str
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?opt_in=true")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = utcnow().date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={campaign}-signatures-opt-in-{today}.csv"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        response.data
        == b"first_name,last_name,email,country,postcode,opt_in,source,signed_at,confirmed_at,"
        b"locale,consent_version\r\n"
    )


@pytest.mark.parametrize(
    ("query", "emails"),
    [
        (
            "since=2026-11-26",
            ["ada@example.org", "b@example.org", "c@example.org", "d@example.org"],
        ),
        ("since=2026-11-27", ["c@example.org", "d@example.org"]),
        ("until=2026-11-26", ["ada@example.org", "b@example.org"]),
        ("since=2026-11-27&until=2026-11-27", ["c@example.org"]),
        ("since=2026-11-29", []),
        ("opt_in=true", ["ada@example.org", "c@example.org"]),
        ("opt_in=true&since=2026-11-27", ["c@example.org"]),
        (
            "since=&until=&opt_in=",
            ["ada@example.org", "b@example.org", "c@example.org", "d@example.org"],
        ),
    ],
)
def test_since_and_until_are_whole_utc_days_and_opt_in_keeps_those_who_agreed(
    organiser_client: FlaskClient, campaign: str, three_days: None, query: str, emails: list[str]
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?{query}")
    assert [row["email"] for row in as_dicts(response.data)] == emails


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "since=2026-13-01",
        "until=2026-11-31",
        "since=2026-11-28&until=2026-11-27",
        "opt_in=yes",
        "opt_in=false",
        "since=1900-01-01",
        "since=" + "9" * 5000,
        "since=2026-11-28%00",
    ],
)
def test_a_filter_that_cannot_be_read_is_refused_and_nothing_exported(
    organiser_client: FlaskClient, campaign: str, three_days: None, query: str
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "ada@example.org" not in response.get_data(as_text=True)


def test_the_excel_version_starts_with_a_byte_order_mark_and_the_plain_one_does_not(
    organiser_client: FlaskClient, campaign: str, three_days: None
) -> None:
    plain = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv").data
    excel = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?excel=true").data
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert excel == b"\xef\xbb\xbf" + plain


def test_the_command_line_writes_the_same_csv_as_the_download(
    app: Flask,
    runner: FlaskCliRunner,
    organiser_client: FlaskClient,
    campaign: str,
    three_days: None,
) -> None:
    downloaded = organiser_client.get(
        f"/organiser/campaigns/{campaign}/signatures.csv?since=2026-11-26&until=2026-11-27&opt_in=true"
    ).data

    result = runner.invoke(
        args=[
            "export",
            "signatures",
            campaign,
            "--since",
            "2026-11-26",
            "--until",
            "2026-11-27",
            "--opt-in",
        ]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == downloaded


def test_the_command_line_writes_a_file_in_one_go(
    runner: FlaskCliRunner, campaign: str, three_days: None, tmp_path: Path
) -> None:
    target = tmp_path / "export.csv"

    result = runner.invoke(args=["export", "signatures", campaign, "-o", str(target), "--excel"])

    assert result.exit_code == 0, result.output
    assert "4 signatures written to" in result.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbffirst_name,")
    assert len(parse(target.read_bytes()[3:])) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]  # no .part left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["export", "signatures", "no-such-campaign"],
            "No campaign has the slug 'no-such-campaign'",
        ),
        (
            ["export", "signatures", "{slug}", "--since", "soon"],
            "since must be a date like 2026-12-01",
        ),
        (["export", "tallies", "{slug}", "--by", "planet"], "Invalid value for '--by'"),
    ],
)
def test_the_command_line_says_what_is_wrong(
    runner: FlaskCliRunner, campaign: str, args: list[str], message: str
) -> None:
    result = runner.invoke(args=[arg.format(slug=campaign) for arg in args])
    assert result.exit_code != 0
    assert message in result.output


def test_a_big_campaign_exports_every_row_once_across_many_batches(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    app.config["EXPORT_BATCH_SIZE"] = 7
    same_time = at("2026-11-27 10:00")  # ties on the confirmation time cross batch edges
    with app.app_context():
        for n in range(40):
            add_signature(
                db.session,
                campaign_id,
                email=f"s{n}@example.org",
                confirmed_at=same_time if n % 3 else utcnow(),
            )
        db.session.commit()

    emails = [
        row["email"]
        for row in as_dicts(
            organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv").data
        )
    ]

    assert sorted(emails) == sorted(f"s{n}@example.org" for n in range(40))
