"""Bench helper: insert pending signatures with known confirmation tokens, or count rows.

python bench/pending.py DATABASE_URL COUNT TOKENS_FILE
python bench/pending.py DATABASE_URL count
"""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import create_engine, func, insert, select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.mail.models import OutboxMessage
from campaign.signing.models import ConfirmationLink, Signature
from campaign.signing.services import CONSENT_VERSION
from campaign.tallies.models import TallyShard
from campaign.tokens import new_manage_key, new_token


def main() -> None:
    url = sys.argv[1]
    engine = create_engine(url)
    with engine.begin() as connection:
        if sys.argv[2] == "count":
            signatures = connection.scalar(select(func.count()).select_from(Signature))
            outbox = connection.scalar(select(func.count()).select_from(OutboxMessage))
            counted = connection.scalar(
                select(func.coalesce(func.sum(TallyShard.signature_count), 0))
            )
            print(signatures, outbox, counted)
            return
        count = int(sys.argv[2])
        campaign_id = connection.scalar(select(Campaign.id).limit(1))
        now = utcnow()
        tokens = []
        hashes = []
        rows = []
        for n in range(count):
            token, token_hash = new_token()
            tokens.append(token)
            hashes.append(token_hash)
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "first_name": "Pending",
                    "last_name": "Bench",
                    "email": f"pending-{n}@example.org",
                    "email_normalised": f"pending-{n}@example.org",
                    "country": "FR",
                    "postcode": None,
                    "opt_in": False,
                    "source": None,
                    "status": "pending",
                    "locale": "en",
                    "signed_at": now,
                    "confirmation_expires_at": now + timedelta(days=30),
                    "repeat_emails_sent": 0,
                    "consent_version": CONSENT_VERSION,
                    "ip_hash": None,
                    "manage_key": new_manage_key(),
                    "suspect": False,
                    "modified_at": now,
                }
            )
        connection.execute(insert(Signature.__table__), rows)
        # Each with its link, as signing makes them (the token hash is what the link proves).
        ids = connection.scalars(
            select(Signature.id)
            .where(Signature.email_normalised.like("pending-%@example.org"))
            .order_by(Signature.id)
        ).all()
        connection.execute(
            insert(ConfirmationLink.__table__),
            [
                {"signature_id": id_, "token_hash": hash_, "expires_at": now + timedelta(days=30)}
                for id_, hash_ in zip(ids, hashes, strict=True)
            ],
        )
    with open(sys.argv[3], "w") as handle:
        handle.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main()
