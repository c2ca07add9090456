"""Upgrading a database that already holds signatures gives each one its manage links."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from campaign.extensions import db

# A campaign as the first schema stored it, for the signatures each test adds.
CAMPAIGN_AT_0001 = text(
    "INSERT INTO campaigns (id, slug, locale, title, summary, body, target, goal, featured,"
    " show_recent_signers, created_at, updated_at) VALUES (1, 'c', 'en', 'C', 's', 'b', 't',"
    " 10, true, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def test_signatures_made_before_the_upgrade_get_a_manage_key_each(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(CAMPAIGN_AT_0001)
            for n in range(3):
                connection.execute(
                    text(
                        "INSERT INTO signatures (campaign_id, first_name, last_name, email,"
                        " email_normalised, country, opt_in, status, locale, signed_at,"
                        " repeat_emails_sent, consent_version) VALUES (1, 'A', 'B', :email,"
                        " :email, 'FR', false, 'pending', 'en', CURRENT_TIMESTAMP, 0,"
                        " '2026-11-28')"
                    ),
                    {"email": f"p{n}@example.org"},
                )

        upgrade()

        with db.engine.connect() as connection:
            keys = connection.execute(text("SELECT manage_key FROM signatures")).scalars().all()
        assert len(keys) == 3 and len(set(keys)) == 3
        assert all(len(key) == 32 and int(key, 16) >= 0 for key in keys)


def test_downgrading_0007_keeps_every_signature_even_anonymised_ones(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(CAMPAIGN_AT_0001)
            for n in range(2):
                connection.execute(
                    text(
                        "INSERT INTO signatures (id, campaign_id, first_name, last_name, email,"
                        " email_normalised, country, opt_in, status, locale, signed_at,"
                        " repeat_emails_sent, consent_version) VALUES (:id, 1, 'A', 'B', :email,"
                        " :email, 'FR', false, 'confirmed', 'en', CURRENT_TIMESTAMP, 0,"
                        " '2026-11-28')"
                    ),
                    {"id": n + 1, "email": f"p{n}@example.org"},
                )
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            # Retention anonymised the second one: no address left.
            connection.execute(
                text(
                    "UPDATE signatures SET email_normalised = NULL, email = '',"
                    " anonymised_at = CURRENT_TIMESTAMP WHERE id = 2"
                )
            )

        downgrade(revision="0006")

        with db.engine.connect() as connection:
            kept = connection.execute(
                text("SELECT id, email_normalised FROM signatures ORDER BY id")
            ).all()
            columns = {c["name"] for c in inspect(connection).get_columns("signatures")}
    assert [tuple(row) for row in kept] == [(1, "p0@example.org"), (2, "anonymised-2")]
    assert not {"manage_key", "anonymised_at", "opt_in_withdrawn_at"} & columns
