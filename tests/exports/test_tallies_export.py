"""Tallies: counts by country, by day (with the running total) and by source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from campaign.database import utcnow
from campaign.extensions import db
from tests.exports.helpers import parse
from tests.factories import add_signature


@pytest.fixture
def counted(app: Flask, campaign_id: int) -> None:
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    with app.app_context():
        for days_ago, country, source in [
            (2, "FR", "twitter"),
            (2, "FR", None),
            (2, "CI", "twitter"),
            (0, "FR", "email"),
            (0, "KE", "twitter"),
        ]:
            add_signature(
                db.session,
                campaign_id,
                confirmed_at=today - timedelta(days=days_ago),
                country=country,
                source=source,
            )
        add_signature(db.session, campaign_id, country="US")  # pending: counts nowhere
        db.session.commit()


def day(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()


def test_by_country_is_the_default(
    organiser_client: FlaskClient, campaign: str, counted: None
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/tallies.csv")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        f"attachment; filename={campaign}-tallies-by-country-"
    )
    assert parse(response.data) == [
        ["country", "country_name", "signature_count"],
        ["FR", "France", "3"],
        ["CI", "Côte d’Ivoire", "1"],
        ["KE", "Kenya", "1"],
    ]


def test_by_day_has_every_day_and_the_running_total(
    organiser_client: FlaskClient, campaign: str, counted: None
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/tallies.csv?by=day")
    assert parse(response.data) == [
        ["date", "signature_count", "cumulative"],
        [day(2), "3", "3"],
        [day(1), "0", "3"],
        [day(0), "2", "5"],
    ]


def test_by_source_counts_each_share_channel(
    organiser_client: FlaskClient, campaign: str, counted: None
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/tallies.csv?by=source")
    assert parse(response.data) == [
        ["source", "signature_count"],
        ["twitter", "3"],
        ["", "1"],
        ["email", "1"],
    ]


def test_an_empty_campaign_has_headers_only(organiser_client: FlaskClient, campaign: str) -> None:
    for by, header in [
        ("country", b"country,country_name,signature_count"),
        ("day", b"date,signature_count,cumulative"),
        ("source", b"source,signature_count"),
    ]:
        assert (
            organiser_client.get(f"/organiser/campaigns/{campaign}/tallies.csv?by={by}").data
            == header + b"\r\n"
        )


@pytest.mark.parametrize("by", ["planet", "", "COUNTRY ", "day;drop table"])
def test_an_unknown_grouping_is_refused(
    organiser_client: FlaskClient, campaign: str, by: str
) -> None:
    response = organiser_client.get(
        f"/organiser/campaigns/{campaign}/tallies.csv", query_string={"by": by}
    )
    assert response.status_code == (200 if by.strip().lower() in ("", "country") else 400)


def test_the_command_line_gives_the_same_tallies(
    runner: FlaskCliRunner, organiser_client: FlaskClient, campaign: str, counted: None
) -> None:
    for by in ("country", "day", "source"):
        downloaded = organiser_client.get(
            f"/organiser/campaigns/{campaign}/tallies.csv?by={by}&excel=true"
        ).data
        result = runner.invoke(args=["export", "tallies", campaign, "--by", by, "--excel"])
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == downloaded
        assert downloaded.startswith(b"\xef\xbb\xbf")
