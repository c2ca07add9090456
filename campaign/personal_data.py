"""The one list of personal data we hold: which tables and columns, about whom, what erasure
and anonymisation do to them, and how a person's rows are found.

Each model module declares its own table here, next to the model, with `declare(...)`.
Declarations name tables and columns as strings, so this module imports nothing of the
features (it sits at the platform layer) and a declaration can move with its model. The
retention purge, erasure (`privacy erase` and the delete link) and the access report
(`privacy show`) read these declarations instead of listing columns by hand, and
`tests/privacy/test_registry.py` fails when a column whose name looks personal is declared
nowhere. See docs/privacy.md, "The personal-data registry".

What counts as personal: anything about an identifiable person, directly (a name, an
address) or through a key we hold (a keyed hash of an email or IP address is pseudonymous
data: with the secret key, a guess can be checked). Random handles and hashes of random
secrets (the manage key, the confirmation token hash) are personal too while they sit in a
person's row: they link an email to the row.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, delete, false, func, or_, update

from campaign.database import Base, DbSession, rowcount


class Subject(enum.StrEnum):
    """Whose data a table holds."""

    SUPPORTER = "supporter"  # someone who signed: access, erasure and anonymisation apply
    ORGANISER = "organiser"  # campaign staff: kept for accountability (see each reason)


class Kind(enum.StrEnum):
    """How a column identifies a person."""

    DIRECT = "direct"  # a name, an address, a postcode, a text written to them
    PSEUDONYMOUS = "pseudonymous"  # a keyed hash of an address: needs our secret to link
    LINKING = "linking"  # a handle or a hash of a secret that ties a row to a person's email
    LINKABLE = "linkable"  # harmless alone, matchable with other logs (an exact time)


class ColumnAction(enum.StrEnum):
    """What anonymisation writes into a column that is kept in an anonymised row."""

    EMPTY = "emptied"  # "" (for NOT NULL text)
    NULL = "set to NULL"
    DAY = "cut to the UTC day"
    KEEP = "kept"  # the row keeps it (e.g. the staff address in the audit log)


class RowAction(enum.StrEnum):
    """What erasure or anonymisation does to the rows of a person."""

    DELETE = "rows deleted"
    CLEAR = "personal columns cleared"  # each column as its `ColumnAction` says
    KEEP = "rows kept"  # with the declaration's reason


class Match(enum.StrEnum):
    """How a column finds a person's rows for the access report and erasure."""

    NORMALISED_EMAIL = "equals the normalised address"  # what "already signed" means
    EMAIL_IGNORING_CASE = "equals the address, ignoring case"
    SIGNATURE_ID = "refers to one of the person's signatures"


@dataclass(frozen=True)
class PersonalColumn:
    kind: Kind
    anonymise: ColumnAction
    why: str


@dataclass(frozen=True)
class TableDeclaration:
    """One table's personal data, declared once."""

    table: str
    subject: Subject
    personal: Mapping[str, PersonalColumn]
    on_erasure: RowAction
    on_anonymisation: RowAction
    # column -> how it finds the person; empty: rows cannot be found from an address.
    found_by: Mapping[str, Match] = field(default_factory=dict)
    # Columns whose names look personal but are not, each with the reason.
    not_personal: Mapping[str, str] = field(default_factory=dict)
    # What the access report calls this table's rows, and which columns it shows, in order.
    report_as: str | None = None
    report_columns: Sequence[str] = ()
    why_kept: str = ""  # for RowAction.KEEP: why erasure or anonymisation leaves the rows

    def columns_with(self, action: ColumnAction) -> list[str]:
        return [name for name, column in self.personal.items() if column.anonymise == action]


def staff_table(
    *,
    table: str,
    personal: Mapping[str, PersonalColumn],
    why_kept: str,
    found_by: Mapping[str, Match] | None = None,
    not_personal: Mapping[str, str] | None = None,
) -> TableDeclaration:
    """Staff data (organisers' accounts and what they did): a supporter's erasure or
    anonymisation leaves its rows as they are, for the reason `why_kept` gives."""
    return TableDeclaration(
        table=table,
        subject=Subject.ORGANISER,
        personal=personal,
        on_erasure=RowAction.KEEP,
        on_anonymisation=RowAction.KEEP,
        found_by=found_by or {},
        not_personal=not_personal or {},
        why_kept=why_kept,
    )


# Who made a thing that reaches supporters' data (an API key, a webhook endpoint).
CREATED_BY = PersonalColumn(
    Kind.DIRECT, ColumnAction.KEEP, "the organiser's address (or the command line)"
)


@dataclass(frozen=True)
class NoPersonalData:
    """A table that holds nothing about a person, and why (columns that look personal are
    explained in `not_personal`)."""

    table: str
    why: str
    not_personal: Mapping[str, str] = field(default_factory=dict)


_declarations: dict[str, TableDeclaration | NoPersonalData] = {}


def declare(declaration: TableDeclaration | NoPersonalData) -> None:
    """Register a table's declaration (called next to its model, at import)."""
    existing = _declarations.get(declaration.table)
    if existing is not None and existing != declaration:
        raise ValueError(f"{declaration.table} is declared twice")
    _declarations[declaration.table] = declaration


def declarations() -> dict[str, TableDeclaration | NoPersonalData]:
    """Every declaration, by table name (once every model module is imported)."""
    return dict(_declarations)


def personal_tables(subject: Subject | None = None) -> list[TableDeclaration]:
    """Tables that hold personal data (of `subject`), in declaration order."""
    return [
        declaration
        for declaration in _declarations.values()
        if isinstance(declaration, TableDeclaration)
        and (subject is None or declaration.subject == subject)
    ]


def declaration_of(table: str) -> TableDeclaration:
    declaration = _declarations.get(table)
    if not isinstance(declaration, TableDeclaration):
        raise LookupError(f"{table} holds no declared personal data")
    return declaration


def linked_to_signatures(subject: Subject = Subject.SUPPORTER) -> list[TableDeclaration]:
    """Tables whose rows belong to a signature through a column that refers to it."""
    return [
        declaration
        for declaration in personal_tables(subject)
        if Match.SIGNATURE_ID in declaration.found_by.values()
    ]


def table_of(declaration: TableDeclaration | NoPersonalData) -> Table:
    return Base.metadata.tables[declaration.table]


def signature_column(declaration: TableDeclaration) -> ColumnElement[Any]:
    """The column of a linked table that refers to the signature."""
    table = table_of(declaration)
    for name, match in declaration.found_by.items():
        if match == Match.SIGNATURE_ID:
            return table.c[name]
    raise LookupError(f"{declaration.table} is not linked to signatures")


def rows_of_person(
    declaration: TableDeclaration,
    *,
    address: str,
    normalised: str,
    signature_ids: Iterable[int] = (),
) -> ColumnElement[bool]:
    """A WHERE clause for this table's rows about the person with this address.

    `normalised` is the address after the app's normalisation (passed in: this module does
    not know the rule); `signature_ids` are the person's signatures, for linked tables.
    """
    table = table_of(declaration)
    ids = list(signature_ids)
    conditions: list[ColumnElement[bool]] = []
    for name, match in declaration.found_by.items():
        column = table.c[name]
        if match == Match.NORMALISED_EMAIL:
            conditions.append(column == normalised)
        elif match == Match.EMAIL_IGNORING_CASE:
            conditions.append(func.lower(column) == address.lower())
        elif ids:
            conditions.append(column.in_(ids))
    return or_(false(), *conditions)


def anonymised_values(
    declaration: TableDeclaration, cut_to_day: Any, **extra: Any
) -> dict[str, Any]:
    """The SET clause of anonymisation for a table whose rows are kept (`RowAction.CLEAR`).

    `cut_to_day(column)` gives the dialect's expression for a time cut to its UTC day.
    """
    table = table_of(declaration)
    values: dict[str, Any] = {}
    for name, column in declaration.personal.items():
        if column.anonymise == ColumnAction.EMPTY:
            values[name] = ""
        elif column.anonymise == ColumnAction.NULL:
            values[name] = None
        elif column.anonymise == ColumnAction.DAY:
            values[name] = cut_to_day(table.c[name])
    values.update(extra)
    return values


def _apply_to_linked_rows(
    session: DbSession,
    signature_ids: Select[Any] | Sequence[int],
    action_of: Any,
    cut_to_day: Any,
) -> dict[str, int]:
    changed: dict[str, int] = {}
    for declaration in linked_to_signatures():
        action = action_of(declaration)
        rows = signature_column(declaration).in_(signature_ids)
        if action == RowAction.DELETE:
            statement: Any = delete(table_of(declaration)).where(rows)
        elif action == RowAction.CLEAR:
            values = anonymised_values(declaration, cut_to_day)
            statement = update(table_of(declaration)).where(rows).values(values)
        else:
            continue
        changed[declaration.table] = rowcount(session, statement)
    return changed


def erase_rows_of_signatures(
    session: DbSession, signature_ids: Select[Any] | Sequence[int], cut_to_day: Any = None
) -> dict[str, int]:
    """Erase what other tables hold about these signatures, as each table declares (run it
    before deleting the signatures themselves); rows changed, by table."""
    return _apply_to_linked_rows(session, signature_ids, lambda d: d.on_erasure, cut_to_day)


def anonymise_rows_of_signatures(
    session: DbSession, signature_ids: Select[Any] | Sequence[int], cut_to_day: Any
) -> dict[str, int]:
    """Anonymise what other tables hold about these signatures, as each table declares;
    rows changed, by table."""
    return _apply_to_linked_rows(session, signature_ids, lambda d: d.on_anonymisation, cut_to_day)


# Column names that suggest personal data: a column of any table whose name has one of these
# words (split on "_") must be declared personal, or declared not personal with a reason.
PERSONAL_WORDS = frozenset(
    {
        "name",
        "email",
        "mail",
        "postcode",
        "zip",
        "address",
        "phone",
        "mobile",
        "ip",
        "answer",
        "answers",
        "recipient",
        "body",
        "text",
        "comment",
        "message",
        "actor",
        "by",
        "birth",
        "context",
        "headers",
    }
)
_SPLIT = re.compile(r"[_\W]+")


def looks_personal(column: str) -> bool:
    words = set(_SPLIT.split(column.lower()))
    return bool(words & PERSONAL_WORDS) or "user_agent" in column.lower()
