"""The migration to one outbox of many kinds keeps every email, and its downgrade too."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from campaign.extensions import db

EMAIL_AT_0008 = text(
    "INSERT INTO outbox_messages (recipient, subject, template, context, locale, message_id,"
    " status, attempts, next_attempt_at, created_at, category)"
    " VALUES ('old@example.org', 'Please confirm', 'confirm', '{\"n\": 1}', 'fr', '<m1@x>',"
    " 'pending', 0, '2026-11-01 10:00:00+00:00', '2026-11-01 10:00:00+00:00', 'update')"
)


def _row(kind: str, recipient: str | None) -> dict[str, object]:
    return {
        "kind": kind,
        "recipient": recipient,
        "subject": "s" if recipient else None,
        "locale": "en" if recipient else None,
        "category": "transactional" if recipient else None,
    }


INSERT_AT_HEAD = text(
    "INSERT INTO outbox_messages (kind, recipient, subject, locale, category, payload,"
    " message_id, status, attempts, next_attempt_at, created_at)"
    " VALUES (:kind, :recipient, :subject, :locale, :category, '{\"a\": 1}', '<m2@x>',"
    " 'pending', 0, '2026-11-01 10:00:00+00:00', '2026-11-01 10:00:00+00:00')"
)


def test_emails_queued_before_the_outbox_had_kinds_survive_upgrade_and_downgrade(
    empty_app: Flask,
) -> None:
    with empty_app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            connection.execute(EMAIL_AT_0008)

        upgrade(revision="0009_outbox_kinds")
        with db.engine.begin() as connection:
            row = connection.execute(
                text(
                    "SELECT kind, recipient, subject, template, locale, category, status"
                    " FROM outbox_messages"
                )
            ).one()
            assert tuple(row) == (
                "email",
                "old@example.org",
                "Please confirm",
                "confirm",
                "fr",
                "update",
                "pending",
            )
            connection.execute(INSERT_AT_HEAD, _row("webhook", None))
        # An email without its recipient, or any row with an unknown status, is refused.
        for bad in (
            INSERT_AT_HEAD.bindparams(**_row("email", None)),
            text(str(INSERT_AT_HEAD).replace("'pending'", "'lost'")).bindparams(
                **_row("webhook", None)
            ),
        ):
            with pytest.raises(IntegrityError), db.engine.begin() as connection:
                connection.execute(bad)

        downgrade(revision="0008")
        with db.engine.begin() as connection:
            rows = connection.execute(
                text("SELECT recipient, template, locale, category FROM outbox_messages")
            ).all()
        assert [tuple(r) for r in rows] == [("old@example.org", "confirm", "fr", "update")]
