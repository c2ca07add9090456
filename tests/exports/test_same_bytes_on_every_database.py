"""The signatures export is the same file, byte for byte, whichever database holds the rows:
on PostgreSQL the database writes the lines, on SQLite Python does, and both must be what
Python's own csv.writer writes for the neutralised cells (run the suite on both)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.database import utcnow
from campaign.exports.services import (
    EXPORTED_COLUMNS,
    SignatureFilters,
    stream_signatures_csv,
)
from campaign.exports.writer import neutralise
from campaign.extensions import db
from tests.factories import add_signature

# Every kind of value a cell can hold that a writer could get wrong.
HOSTILE_TEXTS = [
    "plain",
    "",
    'say "hi"',
    '"',
    '""',
    "a,b",
    ",",
    "line\nbreak",
    "carriage\rreturn",
    "both\r\nends",
    "\r\n",
    "trailing\n",
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    '=HYPERLINK("http://x","y, z")',
    "=a\nb",
    "'already",
    "a'b",
    "back\\slash",
    "\\n not a line break",
    "\\.",
    "E'\\x41'",
    "%s %(x)s ?",
    "tab\tinside",
    "ctrl\x01\x02\x07\x08\x0b\x0c\x1b\x1f\x7f",
    "\x0bstarts with a vertical tab",
    "\u200b=1+1",
    "\ufeffbom",
    "\u202eevil\u202c",
    "\u00adsoft hyphen",
    "mid\u200bdle",
    "محمد الحسيني",
    "שרה כהן",
    "李小龍",
    "さくら",
    "김민준",
    "अनन्या",
    "Владимир",
    "Ζωή",
    "Ana 🌍✊🏽",
    "👩\u200d💻",
    "e\u0301",
    "\U0001f600=1",
    " leading space",
    "trailing space ",
    "semi;colon",
    "x" * 100,
]


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected(rows: list[dict[str, object]]) -> bytes:
    """What the contract says the file is: csv.writer with CRLF line ends over the
    neutralised cells, written here without any of the export's own code but `neutralise`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORTED_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                neutralise(row["first_name"]),  # type: ignore[arg-type]
                neutralise(row["last_name"]),  # type: ignore[arg-type]
                neutralise(row["email"]),  # type: ignore[arg-type]
                neutralise(row["country"]),  # type: ignore[arg-type]
                neutralise(row["postcode"] or None),  # type: ignore[arg-type]
                "true" if row["opt_in"] else "false",
                neutralise(row["source"] or None),  # type: ignore[arg-type]
                _iso(row["signed_at"]),  # type: ignore[arg-type]
                _iso(row["confirmed_at"]),  # type: ignore[arg-type]
                "en",
                row["consent_version"],
            ]
        )
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def hostile_rows(app: Flask, campaign_id: int) -> list[dict[str, object]]:
    """One signature per hostile value, in every text column at once, some confirmed at the
    same instant (the batches' keyset must break ties by id), times with microseconds."""
    start = (utcnow() - timedelta(days=2)).replace(microsecond=987654)
    rows: list[dict[str, object]] = []
    with app.app_context():
        for n, text in enumerate(HOSTILE_TEXTS):
            confirmed_at = start + timedelta(seconds=n // 3)  # three at each instant
            signature = add_signature(
                db.session,
                campaign_id,
                first_name=text,
                last_name=text[::-1],
                email=f"{text[:1] if text[:1] in '=+-@' else ''}p{n}@example.org",
                country=["FR", "=1", '",', "@"][n % 4],
                postcode=text[:16] if n % 2 else None,
                source=text[:32] if n % 3 else ("" if n % 2 else None),
                opt_in=n % 2 == 0,
                confirmed_at=confirmed_at,
                signed_at=confirmed_at - timedelta(minutes=5, microseconds=123),
            )
            rows.append(
                {
                    "first_name": signature.first_name,
                    "last_name": signature.last_name,
                    "email": signature.email,
                    "country": signature.country,
                    "postcode": signature.postcode,
                    "opt_in": signature.opt_in,
                    "source": signature.source,
                    "signed_at": signature.signed_at,
                    "confirmed_at": signature.confirmed_at,
                    "consent_version": signature.consent_version,
                }
            )
        db.session.commit()
    return rows


@pytest.mark.parametrize("batch_size", [2000, 3, 1])
def test_the_export_is_exactly_what_csv_writer_writes_for_hostile_values(
    app: Flask, campaign_id: int, hostile_rows: list[dict[str, object]], batch_size: int
) -> None:
    with app.app_context():
        body = b"".join(
            stream_signatures_csv(db.engine, campaign_id, SignatureFilters(), batch_size=batch_size)
        )
    expected = _expected(hostile_rows)
    assert body.splitlines(keepends=True) == expected.splitlines(keepends=True)
    assert body == expected


def test_the_download_has_the_same_bytes(
    app: Flask,
    organiser_client: FlaskClient,
    campaign: str,
    hostile_rows: list[dict[str, object]],
) -> None:
    app.config["EXPORT_BATCH_SIZE"] = 4
    body = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv").data
    assert body == _expected(hostile_rows)
    excel = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?excel=true")
    assert excel.data == b"\xef\xbb\xbf" + _expected(hostile_rows)


def test_the_opted_in_export_has_the_same_bytes(
    app: Flask,
    organiser_client: FlaskClient,
    campaign: str,
    hostile_rows: list[dict[str, object]],
) -> None:
    app.config["EXPORT_BATCH_SIZE"] = 5
    body = organiser_client.get(f"/organiser/campaigns/{campaign}/signatures.csv?opt_in=true").data
    assert body == _expected([row for row in hostile_rows if row["opt_in"]])
