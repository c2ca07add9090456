"""Importing a sheet of paper signatures: every row checked as the form checks it, then
all rows stored (or none), confirmed on the organiser's word and counted at once.

Plain functions over a session; they flush but never commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.datastructures import MultiDict
from wtforms import EmailField
from wtforms.validators import Length, Optional

from campaign import signals
from campaign.audit.services import Actor, record_event
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.exports.writer import neutralise
from campaign.identity import normalise_email
from campaign.signing.consent import CONSENT_VERSION
from campaign.signing.forms import SOURCE_PATTERN, SignatureForm, clean_text, valid_email
from campaign.signing.models import Signature, SignatureStatus
from campaign.tallies.services import add_to_tally

COLUMNS = ("first_name", "last_name", "email", "country", "postcode")
REQUIRED_COLUMNS = ("first_name", "last_name", "country")
MAX_ROWS = 100_000


class BadSheet(ValueError):
    """The file cannot be read as a sheet at all (not CSV, no header, wrong columns)."""


class PaperSignatureForm(SignatureForm):
    """The signing form's rules, with the email address optional: many people sign on
    paper without giving one."""

    email = EmailField(
        validators=[
            Optional(),
            Length(max=254, message=_l("Please use at most 254 characters.")),
            valid_email,
        ],
        filters=[clean_text],
    )


@dataclass(frozen=True)
class BadRow:
    line: int  # in the file, the header being line 1
    errors: dict[str, list[str]]
    values: dict[str, str]

    def describe(self) -> str:
        problems = "; ".join(f"{name}: {messages[0]}" for name, messages in self.errors.items())
        return f"line {self.line}: {problems}"


@dataclass(frozen=True)
class GoodRow:
    line: int
    first_name: str
    last_name: str
    email: str | None
    country: str
    postcode: str | None


@dataclass
class CheckedSheet:
    digest: str  # SHA-256 of the file: with a line number, the key of a row without email
    good: list[GoodRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already_there: int  # the same address signed before, or this row was imported before
    skipped_invalid: int


def read_sheet(content: bytes) -> CheckedSheet:
    """Every row of a CSV sheet (the export's column names), checked; raises BadSheet."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadSheet("the file is not UTF-8 text (save it as CSV UTF-8)") from error
    if "\x00" in text:
        raise BadSheet("the file is not a CSV sheet")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise BadSheet(
            "the first line must name the columns: "
            + ",".join(COLUMNS)
            + f" (missing: {', '.join(missing)})"
        )
    reader.fieldnames = header
    sheet = CheckedSheet(digest=hashlib.sha256(content).hexdigest(), header=header)
    try:
        for row in reader:
            if reader.line_num > MAX_ROWS + 1:
                raise BadSheet(f"a sheet has at most {MAX_ROWS} rows")
            values = {name: (row.get(name) or "").strip() for name in COLUMNS}
            if not any(values.values()):
                continue  # a blank line
            _check_row(sheet, reader.line_num, values)
    except csv.Error as error:
        raise BadSheet(f"line {reader.line_num}: {error}") from error
    return sheet


def _check_row(sheet: CheckedSheet, line: int, values: dict[str, str]) -> None:
    values = {**values, "country": values["country"].upper()}
    form = PaperSignatureForm(formdata=MultiDict(values), meta={"csrf": False})
    if not form.validate():
        errors = {str(name): [str(m) for m in messages] for name, messages in form.errors.items()}
        sheet.bad.append(BadRow(line, errors, values))
        return
    sheet.good.append(
        GoodRow(
            line=line,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            email=form.email.data or None,
            country=form.country.data,
            postcode=form.postcode.data or None,
        )
    )


def clean_source(value: str) -> str:
    """The source recorded on imported signatures: a short code, like the share codes."""
    source = value.strip().lower()
    if not SOURCE_PATTERN.match(source):
        raise BadSheet("the source must be a short code: letters, digits, '-', '_' or '.'")
    return source


def import_rows(
    session: DbSession,
    campaign: Campaign,
    sheet: CheckedSheet,
    *,
    source: str,
    file_name: str,
    actor: Actor | None,
    now: datetime,
    tally_shards: int,
) -> ImportReport:
    """Store the sheet's good rows as confirmed signatures, counted at once, and log it.

    A row whose address already signed this campaign (online or in an earlier sheet), or a
    row already imported from this very file, adds nothing: the unique constraints decide.
    `actor` None means the command line.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, Signature.__table__)
    imported = 0
    for row in sheet.good:
        values: dict[str, Any] = {
            "campaign_id": campaign.id,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email or "",
            "email_normalised": normalise_email(row.email) if row.email else None,
            "country": row.country,
            "postcode": row.postcode,
            "opt_in": False,  # a sheet records no consent to news
            "source": source,
            "status": SignatureStatus.CONFIRMED,
            "locale": campaign.locale,
            "signed_at": now,
            "confirmed_at": now,
            "modified_at": now,
            "repeat_emails_sent": 0,
            "consent_version": CONSENT_VERSION,
            "suspect": False,
            "import_key": hashlib.sha256(f"{sheet.digest}:{row.line}".encode()).hexdigest(),
        }
        # Either constraint may be the one that says "already there".
        statement = insert(table).on_conflict_do_nothing().returning(table.c.id)
        new_id = session.execute(statement, values).scalar()
        if new_id is None:
            continue
        imported += 1
        add_to_tally(session, campaign.id, row.country, 1, now, tally_shards)
        # Confirmed on the organiser's word: what follows a confirmation (webhooks) follows.
        signals.signature_confirmed.send(campaign.id, session=session, signature_id=new_id, now=now)
    session.flush()
    report = ImportReport(
        imported=imported,
        already_there=len(sheet.good) - imported,
        skipped_invalid=len(sheet.bad),
    )
    record_event(
        session,
        actor=actor,
        action="signatures.import",
        campaign_id=campaign.id,
        details={
            "file": file_name[:100],
            "source": source,
            "already_there": report.already_there,
            "skipped_invalid": report.skipped_invalid,
        },
        row_count=report.imported,
        now=now,
    )
    return report


def rejects_csv(sheet: CheckedSheet) -> str:
    """The bad rows as a sheet of their own, with the line and the problem, to fix and
    import again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", *COLUMNS, "problem"])
    for bad in sheet.bad:
        problem = "; ".join(f"{name}: {messages[0]}" for name, messages in bad.errors.items())
        # Opened in a spreadsheet to be mended: a bad row's cells are the likeliest formulas.
        cells = (neutralise(bad.values.get(name, "")) for name in COLUMNS)
        writer.writerow([bad.line, *cells, problem])
    return out.getvalue()
