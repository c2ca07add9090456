"""What the exports contain, and reading it in batches so memory stays flat.

The signatures export reads the table in keyset-paginated batches (`EXPORT_BATCH_SIZE`
rows, ordered by confirmation time and id), each in a transaction of its own that ends
before the batch is sent. So memory holds one batch whatever the size of the campaign, and
a slow download never holds a database transaction or snapshot open: a migration, a
vacuum or SQLite's WAL checkpoint never waits for a client's network. See docs/exports.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import QueryableAttribute

from campaign.audit.services import Actor, Event, finish_export, record_event_apart
from campaign.countries import country_name
from campaign.dashboard.services import counts_by_source, daily_counts
from campaign.database import DbSession
from campaign.exports.writer import (
    BOM,
    CELL_EXPRESSIONS,
    FORMULA_TRIGGERS,
    csv_bytes,
    csv_line,
    neutralise,
    row_builder,
)
from campaign.signing.models import Signature, counts_in_public, receives_news_clause
from campaign.tallies.services import read_tally

# The export's columns, in order, and how each cell is written (see writer.CELL_EXPRESSIONS;
# "time" is a timestamp, written as ISO 8601 UTC).
SIGNATURE_CELLS = {
    "first_name": "text",
    "last_name": "text",
    "email": "text",
    "country": "text",
    "postcode": "optional_text",
    "opt_in": "flag",
    "source": "optional_text",
    "signed_at": "time",
    "confirmed_at": "time",
}
SIGNATURE_COLUMNS = tuple(SIGNATURE_CELLS)
# After the contract's columns, in this order (our own values, never typed by anyone); then
# one column per campaign question.
EXPORTED_CELLS = {**SIGNATURE_CELLS, "locale": "verbatim", "consent_version": "verbatim"}
EXPORTED_COLUMNS = tuple(EXPORTED_CELLS)
TALLY_KINDS = ("country", "day", "source")
TALLY_COLUMNS = {
    "country": ("country", "country_name", "signature_count"),
    "day": ("date", "signature_count", "cumulative"),
    "source": ("source", "signature_count"),
}


class BadExportRequest(ValueError):
    """A filter or option the export cannot use; the message says which, for the user."""


@dataclass(frozen=True)
class SignatureFilters:
    """Which confirmed signatures to export: confirmed on `since` .. `until` (UTC days,
    both included), and only those who agreed to be contacted when `opt_in_only`."""

    since: date | None = None
    until: date | None = None
    opt_in_only: bool = False

    def as_details(self) -> dict[str, Any]:
        """The filters as the audit log records them."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "opt_in": self.opt_in_only,
        }


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as error:
        raise BadExportRequest(_l("%(name)s must be a date like 2026-12-01", name=name)) from error
    if not 2000 <= day.year <= 9998:
        raise BadExportRequest(_l("%(name)s must be a date like 2026-12-01", name=name))
    return day


def parse_signature_filters(
    since: str | None, until: str | None, opt_in: str | None
) -> SignatureFilters:
    """Filters from strings (a query string or command-line options); raises BadExportRequest."""
    since_day = _parse_day(since, "since")
    until_day = _parse_day(until, "until")
    if since_day and until_day and until_day < since_day:
        raise BadExportRequest(_l("until must not be before since"))
    choice = (opt_in or "").strip().lower()
    if choice not in ("", "true"):
        raise BadExportRequest(
            _l("opt_in can only be true (only those who agreed to be contacted)")
        )
    return SignatureFilters(since_day, until_day, choice == "true")


def parse_tally_kind(value: str | None) -> str:
    kind = (value or "country").strip().lower()
    if kind not in TALLY_KINDS:
        raise BadExportRequest(_l("by must be one of %(kinds)s", kinds=", ".join(TALLY_KINDS)))
    return kind


def export_filename(slug: str, what: str, today: date) -> str:
    return f"{slug}-{what}-{today.isoformat()}.csv"


def _timestamp(
    column: ColumnElement[Any] | QueryableAttribute[Any], dialect: str
) -> ColumnElement[Any]:
    """A timestamp as the row formatter wants it: ISO 8601 UTC text formatted by PostgreSQL
    (in C, in another process); on SQLite the stored UTC text, which `_sqlite_row` reshapes
    by slicing (SQLite's own strftime() costs more per row than everything else together)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return type_coerce(column, String())


def _key_type(dialect: str) -> String | DateTime:
    # The keyset position comes back and is bound again exactly as stored, without going
    # through UTCDateTime's Python conversion on every row: text on SQLite, a timestamp
    # on PostgreSQL (which psycopg converts in C).
    return DateTime(timezone=True) if dialect == "postgresql" else String()


def _selected(name: str, kind: str, dialect: str) -> ColumnElement[Any]:
    column: QueryableAttribute[Any] = getattr(Signature, name)
    if kind == "flag":
        return type_coerce(column, Integer())
    if kind == "time":
        return _timestamp(column, dialect)
    return column.expression


def _signatures_batch(
    campaign_id: int,
    filters: SignatureFilters,
    dialect: str,
    after: tuple[Any, Any] | None,
    limit: int,
) -> Select[Any]:
    """One batch: the export's columns, the answers to the campaign's questions, then the
    keyset position (on PostgreSQL; on SQLite the confirmed_at column is it) and the id.
    Columns are selected without per-row Python conversion: opt_in as an integer, as
    SQLAlchemy's Boolean processor alone costs a quarter of the reading time on SQLite."""
    key_type = _key_type(dialect)
    key = [type_coerce(Signature.confirmed_at, key_type)] if dialect == "postgresql" else []
    query: Select[Any] = (
        select(
            *(_selected(name, kind, dialect) for name, kind in EXPORTED_CELLS.items()),
            # As stored: parsed only for campaigns that ask questions.
            type_coerce(Signature.answers, String()),
            *key,
            Signature.id,
        )
        .where(Signature.campaign_id == campaign_id)
        # What counts in public (confirmed, not held as suspect), and not anonymised.
        .where(counts_in_public())
        .where(Signature.anonymised_at.is_(None))
        .order_by(Signature.confirmed_at, Signature.id)
        .limit(limit)
    )
    if filters.since is not None:
        query = query.where(Signature.confirmed_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(Signature.confirmed_at < end)
    if filters.opt_in_only:
        query = query.where(receives_news_clause())
    if after is not None:
        position, last_id = after
        # (a bind parameter when the statement is built once and run batch after batch)
        bound = position if isinstance(position, BindParameter) else literal(position, key_type)
        # Written so the index range starts at the position (a row-value comparison is not
        # used for an index range by every SQLite version).
        query = query.where(
            Signature.confirmed_at >= bound,
            or_(Signature.confirmed_at > bound, Signature.id > last_id),
        )
    return query


# The hot loop of a million-row export: one compiled function per row, every test inline,
# built from the column list and the writer's one rule (tests check it agrees with
# neutralise and csv.writer). PostgreSQL formats timestamps itself; on SQLite the stored
# "YYYY-MM-DD HH:MM:SS.ffffff" UTC text is reshaped to "YYYY-MM-DDTHH:MM:SSZ" by slicing.
_KINDS = tuple(EXPORTED_CELLS.values())
_postgres_line = row_builder("_postgres_line", _KINDS, {**CELL_EXPRESSIONS, "time": "{v}"})
_sqlite_line = row_builder(
    "_sqlite_line", _KINDS, {**CELL_EXPRESSIONS, "time": '{v}[:10] + "T" + {v}[11:19] + "Z"'}
)
# Where the answers and the keyset position are in a selected row (see _signatures_batch).
_ANSWERS = len(EXPORTED_COLUMNS)
_POSTGRES_KEY = _ANSWERS + 1
_SQLITE_KEY = SIGNATURE_COLUMNS.index("confirmed_at")


# On PostgreSQL the same lines are written by the database: each batch comes back as one row
# holding the batch's finished CSV text, so Python neither receives nor touches a signature
# (a million rows' cost was the Python work per row; see docs/exports.md). The expressions
# below are the writer's rules in SQL: NEUTRALISED (an apostrophe before a cell whose first
# character is in FORMULA_TRIGGERS, the very same set, as code points: `ascii()` gives the
# first character's code point, and PostgreSQL hashes a long constant `= ANY` list) and
# csv_line's quoting (csv.writer's minimal quoting with CRLF line ends: a field holding a
# comma, a double quote, a CR or an LF is quoted, its quotes doubled). Plain `ascii` and
# `strpos` tests: a regular expression converts the whole text to wide characters first.
# A test compares every line with the Python writer's on hostile values.
_FORMULA_CODES: ColumnElement[Any] = literal_column(
    "ARRAY[" + ",".join(str(ord(c)) for c in sorted(FORMULA_TRIGGERS)) + "]"
)
_QUOTED_WHEN = ("','", "'\"'", "E'\\r'", "E'\\n'")  # the characters, as SQL literals
_EMPTY: ColumnElement[str] = literal_column("''", String())
_APOSTROPHE: ColumnElement[str] = literal_column("''''", String())
_QUOTE: ColumnElement[str] = literal_column("'\"'", String())
_ZERO = literal_column("0", Integer())


def _needs_quotes(value: ColumnElement[str]) -> ColumnElement[bool]:
    return or_(*(func.strpos(value, literal_column(c)) > _ZERO for c in _QUOTED_WHEN))


def _sql_field(value: ColumnElement[str], neutralised: bool, quoting: bool) -> ColumnElement[str]:
    """A text cell as csv_line writes it: neutralised (if asked), and quoted where needed
    unless `quoting` is off (a line known to need no quotes). The apostrophe never needs
    quotes, so whether to quote depends on the stored value alone."""
    prefix = _EMPTY
    if neutralised:
        prefix = case((func.ascii(value) == any_(_FORMULA_CODES), _APOSTROPHE), else_=_EMPTY)
    if not quoting:
        return prefix + value
    doubled = func.replace(value, _QUOTE, literal_column("'\"\"'"))
    return case((_needs_quotes(value), _QUOTE + prefix + doubled + _QUOTE), else_=prefix + value)


def _sql_text(name: str, kind: str) -> ColumnElement[str]:
    """A text column's value as the line uses it (NULL as an empty text)."""
    column: ColumnElement[str] = getattr(Signature, name).expression
    return func.coalesce(column, _EMPTY) if kind == "optional_text" else column


def _sql_cell(name: str, kind: str, quoting: bool) -> ColumnElement[str]:
    if kind == "flag":
        column: ColumnElement[Any] = getattr(Signature, name).expression
        return case((column, literal_column("'true'")), else_=literal_column("'false'"))
    if kind == "time":
        return _timestamp(getattr(Signature, name), "postgresql")
    # text, optional text or (quoting only) verbatim
    return _sql_field(_sql_text(name, kind), neutralised=kind != "verbatim", quoting=quoting)


def _sql_line() -> ColumnElement[str]:
    """A row's CSV record and its CRLF line end, written by PostgreSQL. Like csv_line, the
    common row (no comma, quote or line break anywhere) is tested once and joined plainly;
    any other is written field by field with csv.writer's quoting."""

    def joined(quoting: bool) -> ColumnElement[str]:
        cells = [_sql_cell(name, kind, quoting) for name, kind in EXPORTED_CELLS.items()]
        line = cells[0]
        for cell in cells[1:]:
            line = line + literal_column("','") + cell
        return line

    texts = [_sql_text(name, kind) for name, kind in EXPORTED_CELLS.items() if kind in _TEXTS]
    everything = texts[0]
    for value in texts[1:]:
        everything = everything + value
    line = case((_needs_quotes(everything), joined(quoting=True)), else_=joined(quoting=False))
    return line + literal_column("E'\\r\\n'")


# The kinds of cell whose value is text (a time or a flag never needs quotes).
_TEXTS = ("text", "optional_text", "verbatim")


def _postgres_text_batch(
    campaign_id: int, filters: SignatureFilters, after: tuple[Any, Any] | None, limit: int
) -> Select[Any]:
    """One batch as one row: its CSV text (the lines in export order), its number of rows,
    and the keyset position and id of its last row (where the next batch starts)."""
    rows = (
        _signatures_batch(campaign_id, filters, "postgresql", after, limit)
        .with_only_columns(
            _sql_line().label("line"),
            type_coerce(Signature.confirmed_at, _key_type("postgresql")).label("position"),
            Signature.id.label("id"),
        )
        .subquery()
    )
    in_order = (rows.c.position, rows.c.id)
    last_first = (rows.c.position.desc(), rows.c.id.desc())
    return select(
        func.string_agg(rows.c.line, aggregate_order_by(_EMPTY, *in_order)),
        func.count(),
        func.array_agg(aggregate_order_by(rows.c.position, *last_first))[1],
        func.array_agg(aggregate_order_by(rows.c.id, *last_first))[1],
    )


def _answer_cells(stored: str | dict[str, Any] | None, keys: Sequence[str]) -> list[str]:
    """A signature's answers, one cell per question key (formula-safe: a text answer is
    typed by the supporter). JSON text on SQLite; psycopg hands PostgreSQL's JSON parsed."""
    answers = json.loads(stored) if isinstance(stored, str) else (stored or {})
    if not isinstance(answers, dict):
        answers = {}
    cells = []
    for key in keys:
        value = answers.get(key)
        if isinstance(value, bool):
            cells.append("true" if value else "false")
        else:
            cells.append(neutralise(value if isinstance(value, str) else None))
    return cells


def _with_answers(
    format_line: Callable[[Sequence[Any]], str], keys: Sequence[str]
) -> Callable[[Sequence[Any]], str]:
    def line(row: Sequence[Any]) -> str:
        return format_line(row) + "," + csv_line(_answer_cells(row[_ANSWERS], keys))

    return line


def logged_signatures_csv(
    engine: Engine,
    campaign_id: int,
    filters: SignatureFilters,
    *,
    actor: Actor | None,
    now: datetime,
    batch_size: int,
    excel: bool,
    question_keys: Sequence[str],
    on_finish: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The signatures export (stream_signatures_csv), in the audit log: the event is
    committed before the first row goes out, so even a download cut off (or a process that
    dies) leaves a trace of who started it, and it gets the rows sent once the stream ends.

    Call it with no session holding a transaction: the event has a transaction of its own.
    `on_finish(rows)` hears how many rows went out.
    """
    event_id = record_event_apart(
        engine,
        Event(
            actor=actor,
            action="export.signatures",
            campaign_id=campaign_id,
            details={**filters.as_details(), "excel": excel},
            now=now,
            completed=False,
        ),
    )

    def finished(rows: int, completed: bool) -> None:
        finish_export(engine, event_id, rows, completed)
        if on_finish is not None:
            on_finish(rows)

    return stream_signatures_csv(
        engine,
        campaign_id,
        filters,
        batch_size=batch_size,
        excel=excel,
        on_finish=finished,
        question_keys=question_keys,
    )


def stream_signatures_csv(
    engine: Engine,
    campaign_id: int,
    filters: SignatureFilters,
    *,
    batch_size: int,
    excel: bool = False,
    on_finish: Callable[[int, bool], None] | None = None,
    question_keys: Sequence[str] = (),
) -> Iterator[bytes]:
    """The signatures export as CSV bytes: the header, then one chunk per batch of rows.

    The contract's columns come first and in order, then `locale` and `consent_version`,
    then one column per campaign question (`question_keys`; empty when not answered).

    `on_finish(rows, completed)` is called at the end, or when the consumer stops early
    (a download cut off): `rows` counts the rows handed out, `completed` says whether all were.
    """
    rows_out = 0
    completed = False
    try:
        header = (*EXPORTED_COLUMNS, *question_keys)
        yield (BOM if excel else b"") + csv_bytes(header, [])
        dialect = engine.dialect.name
        if dialect == "postgresql" and not question_keys:
            for text, count in _postgres_text_batches(engine, campaign_id, filters, batch_size):
                rows_out += count
                yield text.encode("utf-8")
            completed = True
            return
        format_line = _postgres_line if dialect == "postgresql" else _sqlite_line
        if question_keys:
            format_line = _with_answers(format_line, question_keys)
        key_column = _POSTGRES_KEY if dialect == "postgresql" else _SQLITE_KEY
        after: tuple[Any, int] | None = None
        with engine.connect().execution_options(read_only=True) as connection:
            while True:
                with connection.begin():
                    result = connection.execute(
                        _signatures_batch(campaign_id, filters, dialect, after, batch_size)
                    )
                    # The driver's own tuples: no column here has a result processor, and
                    # making a Row of each costs a fifth of the export's time on SQLite.
                    batch: Sequence[Any] = result.cursor.fetchall()
                    result.close()
                if not batch:
                    break
                lines = list(map(format_line, batch))
                after = (batch[-1][key_column], batch[-1][-1])
                rows_out += len(batch)
                lines.append("")  # the last record's line end
                yield "\r\n".join(lines).encode("utf-8")
                if len(batch) < batch_size:
                    break
        completed = True
    finally:
        if on_finish is not None:
            on_finish(rows_out, completed)


def _postgres_text_batches(
    engine: Engine, campaign_id: int, filters: SignatureFilters, batch_size: int
) -> Iterator[tuple[str, int]]:
    """The export's rows on PostgreSQL, as (CSV text, rows) per keyset batch, each batch
    read in a transaction of its own that ends before the text is handed on. The two
    statements (the first batch, and every next one from a position) are built once."""
    following = _postgres_text_batch(
        campaign_id,
        filters,
        (
            bindparam("position", type_=_key_type("postgresql")),
            bindparam("last_id", type_=Integer()),
        ),
        batch_size,
    )
    statement = _postgres_text_batch(campaign_id, filters, None, batch_size)
    parameters: dict[str, Any] = {}
    with engine.connect().execution_options(read_only=True) as connection:
        while True:
            with connection.begin():
                text, count, position, last_id = connection.execute(statement, parameters).one()
            if not count:
                return
            yield text, count
            if count < batch_size:
                return
            statement, parameters = following, {"position": position, "last_id": last_id}


def tally_rows(
    session: DbSession, campaign_id: int, kind: str, now: datetime
) -> list[tuple[str | int | None, ...]]:
    """The rows of a tallies export (`kind` is country, day or source), without a header."""
    if kind == "country":
        return [
            (code, country_name(code, "en"), n)
            for code, n in read_tally(session, campaign_id).by_country
        ]
    if kind == "day":
        return [
            (period.start.date().isoformat(), period.signature_count, period.cumulative)
            for period in daily_counts(session, campaign_id, now)
        ]
    return [(source or "", n) for source, n, _ in counts_by_source(session, campaign_id)]


def tallies_csv(
    rows: Sequence[Sequence[str | int | None]], kind: str, excel: bool = False
) -> bytes:
    return (BOM if excel else b"") + csv_bytes(TALLY_COLUMNS[kind], rows)
