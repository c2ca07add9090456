"""Turning rows into CSV bytes that a spreadsheet cannot mistake for formulas."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


def _format_characters() -> frozenset[str]:
    # Unicode puts its format characters (Cf) in planes 0, 1 and 14 only; scanning those
    # takes milliseconds, the whole range a quarter of a second at every start.
    planes = (range(0x0, 0x20000), range(0xE0000, 0xF0000))
    return frozenset(
        character
        for plane in planes
        for character in map(chr, plane)
        if unicodedata.category(character) == "Cf"
    )


# Invisible format characters (U+200B zero-width space, U+202E, a BOM …).
FORMAT_CHARACTERS = _format_characters()

# OWASP's CSV injection guidance: a cell starting with one of these may be run as a formula
# by Excel, LibreOffice or Google Sheets. A line feed is added: it cannot start a name typed
# in our form, but a cell should never start with one either. So are the invisible format
# characters: behind one, `\u200b=1+1` would slip past a test of the first character, and
# the apostrophe marks the whole cell as text whatever follows them (the same one test per
# cell in the export's hot loop; see docs/exports.md).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n") | FORMAT_CHARACTERS

BOM = "\ufeff".encode()

Cell = str | int | None

# The rule, written once as an expression over a text cell `{v}`: a leading apostrophe if the
# cell could be read as a formula. The apostrophe is what spreadsheets themselves use to mark
# "text, not a formula"; a CRM importing the file sees it and can strip it (see
# docs/exports.md). `neutralise_text` and the export's row builders (`row_builder`) are both
# compiled from it, so the rule cannot drift between the small exports and the fast path.
NEUTRALISED = '("\'" + {v} if {v}[:1] in FORMULA_TRIGGERS else {v})'

# How each kind of cell is written, as an expression over the cell `{v}`.
CELL_EXPRESSIONS = {
    "text": NEUTRALISED,
    "optional_text": f"({NEUTRALISED} if {{v}} else '')",  # NULL or "" -> empty cell
    "flag": "('true' if {v} else 'false')",
    "verbatim": "{v}",  # already formatted (by the database), and never text typed by anyone
}


class CsvEncoder:
    """Collects rows as RFC 4180 CSV (quoted where needed, CRLF line ends) and hands them
    out as UTF-8 bytes, a batch at a time, so nothing grows with the size of the export."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def add(self, rows: Iterable[Sequence[Cell]]) -> None:
        self._writer.writerows([neutralise(cell) for cell in row] for row in rows)

    def take(self) -> bytes:
        data = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        return data


def csv_line(fields: Sequence[str]) -> str:
    """One CSV record without its line end, exactly as csv.writer writes it.

    The fast path for the common record (no comma, quote or line break in any field) is a
    plain join, several times cheaper than csv.writer on this machine; any other record goes
    through csv.writer, so quoting is always csv.writer's (a test checks both agree).
    """
    line = ",".join(fields)
    plain = line.count(",") == len(fields) - 1 and '"' not in line
    # (csv.writer writes a record of one empty field as "", to tell it from no record)
    if plain and "\n" not in line and "\r" not in line and line:
        return line
    buffer = io.StringIO()
    # Its real line end: csv.writer quotes a field that holds a character of it.
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()[:-2]


def _compile(name: str, source: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"FORMULA_TRIGGERS": FORMULA_TRIGGERS, "csv_line": csv_line}
    exec(compile(source, f"<exports.writer {name}>", "exec"), namespace)  # noqa: S102 (our own code)
    function: Callable[..., Any] = namespace[name]
    return function


def row_builder(
    name: str, kinds: Sequence[str], expressions: Mapping[str, str] = CELL_EXPRESSIONS
) -> Callable[[Sequence[Any]], str]:
    """A function from a row (one value per kind, then anything) to its CSV record.

    Compiled to one plain function with every test inline: the hot loop of a million-row
    export, several times cheaper than a call per cell.
    """
    names = [f"c{index}" for index in range(len(kinds))]
    cells = ", ".join(expressions[kind].format(v=v) for kind, v in zip(kinds, names, strict=True))
    source = (
        f"def {name}(row, FORMULA_TRIGGERS=FORMULA_TRIGGERS, csv_line=csv_line):\n"
        f"    {', '.join(names)}, = row[:{len(names)}]\n"
        f"    return csv_line(({cells},))\n"
    )
    return _compile(name, source)


neutralise_text: Callable[[str], str] = _compile(
    "neutralise_text", f"def neutralise_text(v):\n    return {NEUTRALISED.format(v='v')}\n"
)


def neutralise(value: Cell) -> str:
    """The cell as text, neutralised if it could be read as a formula (see NEUTRALISED)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return neutralise_text(value)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A small CSV in one piece (tallies: one row per country, day or source)."""
    encoder = CsvEncoder()
    encoder.add([header])
    encoder.add(rows)
    return encoder.take()
