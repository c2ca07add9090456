"""The personal-data registry: every table is declared, every column that looks personal is
declared one way or the other, and erasure and anonymisation leave nothing declared behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from campaign.campaigns.models import Campaign
from campaign.database import Base, utcnow
from campaign.extensions import db
from campaign.identity import normalise_email
from campaign.mail.delivery import SmtpTransport
from campaign.personal_data import (
    ColumnAction,
    NoPersonalData,
    RowAction,
    Subject,
    TableDeclaration,
    declarations,
    looks_personal,
    personal_tables,
    rows_of_person,
    table_of,
)
from campaign.signing.models import Signature
from tests.factories import sign
from tests.helpers import confirmation_path, deliver, manage_path
from tests.smtp import SmtpServer

ADDRESS = "Grace.Hopper+petitions@Example.org"


def undeclared_personal_columns(tables: list[Table]) -> list[str]:
    """`table.column` for each column whose name looks personal and that no declaration
    mentions (as personal, or as not personal with a reason)."""
    registry = declarations()
    missing = []
    for table in tables:
        declaration = registry.get(table.name)
        declared: set[str] = set()
        if isinstance(declaration, TableDeclaration):
            declared = set(declaration.personal) | set(declaration.not_personal)
        elif isinstance(declaration, NoPersonalData):
            declared = set(declaration.not_personal)
        missing += [
            f"{table.name}.{column.name}"
            for column in table.columns
            if looks_personal(column.name) and column.name not in declared
        ]
    return missing


def test_every_table_is_declared_personal_or_not() -> None:
    undeclared = sorted(set(Base.metadata.tables) - set(declarations()))
    assert undeclared == [], f"declare these tables in campaign/personal_data.py: {undeclared}"


def test_every_column_that_looks_personal_is_declared() -> None:
    missing = undeclared_personal_columns(list(Base.metadata.tables.values()))
    assert missing == [], (
        f"declare these columns personal, or not personal with a reason: {missing}"
    )


def test_the_check_names_an_undeclared_personal_column() -> None:
    table = Table(
        "signatures",  # a declared table, given new columns
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("phone_number", String),
        Column("user_agent", String),
        Column("free_text_answer", String),
        Column("country", String),
    )
    assert undeclared_personal_columns([table]) == [
        "signatures.phone_number",
        "signatures.user_agent",
        "signatures.free_text_answer",
    ]


def test_declarations_name_real_columns_and_say_what_happens_to_them() -> None:
    for declaration in declarations().values():
        assert declaration.table in Base.metadata.tables, declaration.table
        columns = set(table_of(declaration).columns.keys())
        named = set(declaration.not_personal)
        if isinstance(declaration, TableDeclaration):
            named |= set(declaration.personal) | set(declaration.found_by)
            named |= set(declaration.report_columns)
            assert not set(declaration.personal) & set(declaration.not_personal)
            if RowAction.KEEP in (declaration.on_erasure, declaration.on_anonymisation):
                assert declaration.why_kept, f"{declaration.table}: say why rows are kept"
        assert named <= columns, f"{declaration.table}: no column {named - columns}"


def test_a_supporters_data_is_erasable_and_anonymisable() -> None:
    supporter_tables = personal_tables(Subject.SUPPORTER)
    assert {d.table for d in supporter_tables} >= {"signatures", "outbox_messages"}
    for declaration in supporter_tables:
        assert declaration.found_by, f"{declaration.table}: how is a person's row found?"
        assert declaration.report_as, f"{declaration.table}: missing from the access report"
        assert declaration.on_erasure == RowAction.DELETE
        assert declaration.on_anonymisation in (RowAction.DELETE, RowAction.CLEAR)
        if declaration.on_anonymisation == RowAction.CLEAR:
            kept = declaration.columns_with(ColumnAction.KEEP)
            assert kept == [], f"{declaration.table}: anonymisation keeps {kept}"


def held_about(app: Flask, address: str, signature_ids: list[int]) -> dict[str, list[Any]]:
    """Every row of every supporter table found for `address` (or its signatures)."""
    held: dict[str, list[Any]] = {}
    with app.app_context():
        for declaration in personal_tables(Subject.SUPPORTER):
            where = rows_of_person(
                declaration,
                address=address,
                normalised=normalise_email(address),
                signature_ids=signature_ids,
            )
            rows = db.session.execute(select(table_of(declaration)).where(where)).all()
            held[declaration.table] = [row._mapping for row in rows]
    return held


def sign_confirm_and_unsubscribe(app: Flask, client: FlaskClient, campaign: str) -> list[int]:
    sign(client, campaign, email=ADDRESS, first_name="Grace", postcode="EC1A 1BB", opt_in="y")
    client.post(confirmation_path(app))
    client.post(manage_path(app, "unsubscribe"))
    with app.app_context():
        return list(db.session.scalars(select(Signature.id)))


@pytest.mark.parametrize("how", ["command", "link"])
def test_erasure_leaves_nothing_of_the_person_but_the_receipt_until_it_is_sent(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer, how: str
) -> None:
    client = smtp_app.test_client()
    ids = sign_confirm_and_unsubscribe(smtp_app, client, campaign)
    held = held_about(smtp_app, ADDRESS, ids)
    assert held["signatures"] and held["outbox_messages"]  # the test finds what is there

    if how == "link":
        assert client.post(manage_path(smtp_app, "delete")).status_code == 200
    else:
        result = smtp_app.test_cli_runner().invoke(
            args=["privacy", "erase", ADDRESS.lower(), "--yes"]
        )
        assert result.exit_code == 0, result.output

    held = held_about(smtp_app, ADDRESS, ids)
    [receipt] = held.pop("outbox_messages")
    assert receipt["signature_id"] is None and receipt["template"] == "deleted"
    assert all(rows == [] for rows in held.values()), held

    deliver(smtp_app, SmtpTransport(timeout=5))
    smtp_app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert all(rows == [] for rows in held_about(smtp_app, ADDRESS, ids).values())


def test_anonymisation_leaves_no_declared_column_of_the_persons_rows_filled(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    ids = sign_confirm_and_unsubscribe(app, client, campaign)
    closed = utcnow() - timedelta(days=400)
    with app.app_context():
        db.session.execute(
            update(Campaign).where(Campaign.slug == campaign).values(closes_at=closed)
        )
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output

    # Nothing is found for the person any more: the address is gone from every row ...
    assert all(rows == [] for rows in held_about(app, ADDRESS, ids).values())
    # ... and the rows kept hold none of the columns the registry declares personal.
    with app.app_context():
        [kept] = db.session.execute(select(Signature.__table__)).all()
        assert kept.id in ids and kept.anonymised_at is not None
        for declaration in personal_tables(Subject.SUPPORTER):
            if declaration.on_anonymisation != RowAction.CLEAR:
                continue
            for row in db.session.execute(select(table_of(declaration))).all():
                values = row._mapping
                for name in declaration.columns_with(ColumnAction.EMPTY):
                    assert values[name] == "", f"{declaration.table}.{name} is filled"
                for name in declaration.columns_with(ColumnAction.NULL):
                    assert values[name] is None, f"{declaration.table}.{name} is filled"
                for name in declaration.columns_with(ColumnAction.DAY):
                    moment = values[name]
                    assert moment is None or moment.time() == moment.min.time(), name
