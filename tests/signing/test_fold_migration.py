"""Upgrading a database that holds one mailbox under several spellings: the earliest
signature stays, the others are kept as duplicates (not counted, not exported), every
address takes its IDNA 2008 form, each link keeps working, and the tallies are recounted."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from campaign.extensions import db
from campaign.signing.counts import public_counts
from campaign.tallies.services import find_tally_differences, read_tally

ROWS = [  # (campaign, typed address, status, country)
    (1, "dup@example.org", "confirmed", "FR"),
    (1, "dup@example\u3002org", "confirmed", "FR"),
    (1, "dup@example\uff0eorg", "pending", "FR"),
    (1, "dup@\uff45xample.org", "confirmed", "DE"),
    (1, "anna@stra\u00dfe.example", "confirmed", "DE"),
    (2, "dup@example\u3002org", "confirmed", "FR"),  # another campaign: its own signature
]


def test_the_upgrade_folds_one_mailbox_into_its_earliest_signature(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(revision="0009_outbox_kinds")
        with db.engine.begin() as connection:
            for campaign_id in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO campaigns (id, slug, locale, title, summary, body, target,"
                        " goal, featured, show_recent_signers, created_at, updated_at) VALUES"
                        " (:id, :slug, 'en', 'C', 's', 'b', 't', 10, false, true,"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": campaign_id, "slug": f"c{campaign_id}"},
                )
            for n, (campaign_id, address, status, country) in enumerate(ROWS):
                connection.execute(
                    text(
                        "INSERT INTO signatures (id, campaign_id, first_name, last_name, email,"
                        " email_normalised, country, opt_in, status, locale, signed_at,"
                        " confirmed_at, repeat_emails_sent, consent_version, suspect,"
                        " confirmation_token_hash, confirmation_expires_at, manage_key) VALUES"
                        " (:id, :campaign, 'A', 'B', :email, :folded, :country, false, :status,"
                        " 'en', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, '2026-11-28', false,"
                        " :hash, CURRENT_TIMESTAMP, :key)"
                    ),
                    {
                        "id": n + 1,
                        "campaign": campaign_id,
                        "email": address,
                        "folded": address.lower(),  # what the old normalisation stored
                        "country": country,
                        "status": status,
                        "hash": f"{n:064d}",
                        "key": f"{n:032d}",
                    },
                )
            # The tallies as they stood: every confirmed row counted.
            for campaign_id, country, count in [(1, "FR", 2), (1, "DE", 2), (2, "FR", 1)]:
                connection.execute(
                    text(
                        "INSERT INTO tally_shards (campaign_id, country, shard,"
                        " signature_count, updated_at) VALUES (:c, :country, 3, :n,"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"c": campaign_id, "country": country, "n": count},
                )

        upgrade()

        with db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, email, email_normalised, status, duplicate_of_id"
                    " FROM signatures ORDER BY id"
                )
            ).all()
            links = (
                connection.execute(
                    text("SELECT signature_id FROM confirmation_links ORDER BY signature_id")
                )
                .scalars()
                .all()
            )
        assert [tuple(row) for row in rows] == [
            (1, "dup@example.org", "dup@example.org", "confirmed", None),
            (2, "dup@example.org", "dup@example.org", "duplicate", 1),
            (3, "dup@example.org", "dup@example.org", "duplicate", 1),
            (4, "dup@example.org", "dup@example.org", "duplicate", 1),
            (5, "anna@xn--strae-oqa.example", "anna@xn--strae-oqa.example", "confirmed", None),
            (6, "dup@example.org", "dup@example.org", "confirmed", None),
        ]
        assert links == [1, 5, 6]  # a duplicate's links could never confirm it
        assert read_tally(db.session, 1).signature_count == 2
        assert dict(read_tally(db.session, 1).by_country) == {"FR": 1, "DE": 1}
        assert read_tally(db.session, 2).signature_count == 1
        assert find_tally_differences(db.session, public_counts(db.session)) == []
        db.session.remove()
