"""Reading CSV exports back the way a CRM import or a script would."""

from __future__ import annotations

import csv
import io


def parse(body: bytes) -> list[list[str]]:
    """The rows of a CSV export, header first, read by Python's csv module (RFC 4180)."""
    text = body.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dicts(body: bytes) -> list[dict[str, str]]:
    header, *rows = parse(body)
    return [dict(zip(header, row, strict=True)) for row in rows]
