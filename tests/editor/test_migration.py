"""The migration that brings drafts keeps every existing campaign published, and the
organisers without the new right; its downgrade too."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from campaign import create_app
from campaign.extensions import db

CAMPAIGN_AT_0017 = text(
    "INSERT INTO campaigns (slug, locale, title, summary, body, target, goal, featured,"
    " show_recent_signers, signing_paused, created_at, updated_at)"
    " VALUES ('seeded', 'en', 'T', 'S', 'B', 'W', 10, true, true, false,"
    " '2026-11-01 10:00:00+00:00', '2026-11-02 10:00:00+00:00')"
)
ORGANISER_AT_0017 = text(
    "INSERT INTO organisers (email, password_hash, is_admin, active, created_at,"
    " password_changed_at, session_generation)"
    " VALUES ('amina@example.org', 'x', false, true, '2026-11-01 10:00:00+00:00',"
    " '2026-11-01 10:00:00+00:00', 0)"
)


def test_existing_campaigns_stay_published_since_their_creation(
    empty_database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        upgrade(revision="0018_campaign_images")
        with db.engine.begin() as connection:
            connection.execute(CAMPAIGN_AT_0017)
            connection.execute(ORGANISER_AT_0017)

        upgrade(revision="0019_campaign_editor")
        with db.engine.begin() as connection:
            status, published_at, created_at, edited = connection.execute(
                text("SELECT status, published_at, created_at, edited_in_browser_at FROM campaigns")
            ).one()
            assert status == "published"
            assert published_at == created_at
            assert edited is None
            assert connection.execute(
                text("SELECT can_create_campaigns FROM organisers")
            ).scalar_one() in (False, 0)

        downgrade(revision="0018_campaign_images")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM campaigns")).scalar_one() == "seeded"
        db.engine.dispose()
