"""A subject access request: everything held about one email address, in one document.

What is shown comes from the personal-data registry (campaign/personal_data.py): every
supporter table that declares how a person's rows are found, with the columns it declares
for the report. This module adds only what a reader needs to make sense of a row (the
campaign's name, the consent wording, an email's text as sent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.identity import normalise_email
from campaign.mail.models import OutboxMessage
from campaign.mail.outbox import render_email
from campaign.personal_data import (
    Match,
    Subject,
    TableDeclaration,
    personal_tables,
    rows_of_person,
    table_of,
)
from campaign.signing.consent import wording_for
from campaign.signing.models import Signature

NOT_HELD = (
    "No IP address is stored, only a keyed hash of it (ip_hash) that cannot be "
    "turned back into the address. Tokens in links are stored only as hashes, or "
    "not at all. Counts of deletions per campaign and day hold no personal data."
)


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def personal_data_report(session: DbSession, address: str) -> dict[str, Any]:
    """Every row held about `address` in the supporter tables of the registry.

    A signature matches when its address is the same after the normalisation that decides
    "already signed" (case, `+tags`, Gmail's dots), or is the same ignoring case; an email
    matches when it belongs to such a signature or was sent to the address. Anonymised
    signatures hold no address and so match nothing: nothing in them is about anyone.
    """
    address = address.strip()
    normalised = normalise_email(address)
    report: dict[str, Any] = {"address": address}
    signature_ids: list[int] = []
    # Tables found by address first, so the signature ids are known for the linked tables.
    tables = sorted(
        (table for table in personal_tables(Subject.SUPPORTER) if table.report_as),
        key=lambda table: Match.SIGNATURE_ID in table.found_by.values(),
    )
    for declaration in tables:
        table = table_of(declaration)
        rows = session.execute(
            select(table)
            .where(
                rows_of_person(
                    declaration,
                    address=address,
                    normalised=normalised,
                    signature_ids=signature_ids,
                )
            )
            .order_by(*table.primary_key.columns)
        ).all()
        entries = [_entry(session, declaration, row._mapping) for row in rows]
        if declaration.table == Signature.__tablename__:
            signature_ids = [row.id for row in rows]
        assert declaration.report_as is not None
        report[declaration.report_as] = entries
    report["not_held"] = NOT_HELD
    return report


def _entry(session: DbSession, declaration: TableDeclaration, row: Any) -> dict[str, Any]:
    entry = {name: _value(row[name]) for name in declaration.report_columns}
    explain = _EXPLAINED.get(declaration.table)
    if explain is not None:
        entry.update(explain(session, row))
    return entry


def _explain_signature(session: DbSession, row: Any) -> dict[str, Any]:
    campaign = session.get(Campaign, row["campaign_id"])
    wording = wording_for(row["consent_version"])
    signature = session.get(Signature, row["id"])
    return {
        "campaign": campaign.slug if campaign else None,
        "campaign_title": campaign.title if campaign else None,
        "receives_news": signature.receives_news if signature else False,
        "consent_wording": str(wording.statement) if wording else None,
        "opt_in_wording": str(wording.opt_in_label) if wording else None,
    }


def _explain_email(session: DbSession, row: Any) -> dict[str, Any]:
    """The text of an email as it was or will be sent (queued ones are rendered when sent)."""
    if row["body_text"] is not None or row["template"] is None:
        return {"body_text": row["body_text"]}
    return {"body_text": render_email(row["template"], row["context"] or {}, row["locale"])[0]}


_EXPLAINED: dict[str, Callable[[DbSession, Any], dict[str, Any]]] = {
    Signature.__tablename__: _explain_signature,
    OutboxMessage.__tablename__: _explain_email,
}
