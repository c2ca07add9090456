"""At the head of the migrations, deleting a confirmed signature leaves its tombstone: the
trigger is part of the schema, not only of `create_all`."""

from __future__ import annotations

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, select

from campaign.api.models import SignatureDeletion
from campaign.database import utcnow
from campaign.extensions import db
from campaign.signing.models import Signature
from tests.factories import make_campaign


def test_deleting_a_confirmed_signature_records_its_id_only_after_migrating(
    empty_app: Flask,
) -> None:
    with empty_app.app_context():
        upgrade()
        campaign = make_campaign(db.session)
        rows = [
            Signature(
                campaign_id=campaign.id,
                first_name="Ada",
                last_name="Lovelace",
                email=f"{status}@example.org",
                email_normalised=f"{status}@example.org",
                country="GB",
                status=status,
                consent_version="test",
                confirmed_at=utcnow() if status == "confirmed" else None,
            )
            for status in ("confirmed", "pending")
        ]
        db.session.add_all(rows)
        db.session.commit()
        confirmed_id = rows[0].id

        db.session.execute(delete(Signature))
        db.session.commit()

        [tombstone] = db.session.scalars(select(SignatureDeletion)).all()
        assert tombstone.signature_id == confirmed_id
        assert tombstone.campaign_id == campaign.id
        assert abs((utcnow() - tombstone.deleted_at).total_seconds()) < 60
        db.session.remove()
