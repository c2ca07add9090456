"""one mailbox, one signature: every confirmation link kept (`confirmation_links`), addresses
in their IDNA 2008 form, rows that are one mailbox under several spellings folded (the
earliest stays, the others become duplicates: kept, never counted, never exported), and the
tallies recounted

Revision ID: 0010_fold_mailboxes
Revises: 0009_outbox_kinds
Create Date: 2026-11-30 01:15:00

"""

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# The normalisation this release compares addresses with: folding must agree with it.
from campaign.identity import delivery_address, normalise_email

revision = "0010_fold_mailboxes"
down_revision = "0009_outbox_kinds"
branch_labels = None
depends_on = None

NOT_DUPLICATE = "status <> 'duplicate'"
STATUSES = "status IN ('pending', 'confirmed', 'invalidated', 'duplicate')"
OLD_STATUSES = "status IN ('pending', 'confirmed', 'invalidated')"
BATCH = 1000


def upgrade():
    op.create_table(
        "confirmation_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_confirmation_links_signature_id_signatures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_confirmation_links_token_hash")),
    )
    with op.batch_alter_table("confirmation_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_confirmation_links_signature_id"), ["signature_id"], unique=False
        )
    # The link each signature has now keeps working until its expiry.
    op.execute(
        "INSERT INTO confirmation_links (signature_id, token_hash, expires_at)"
        " SELECT id, confirmation_token_hash, COALESCE(confirmation_expires_at, signed_at)"
        " FROM signatures WHERE confirmation_token_hash IS NOT NULL"
    )

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_signatures_confirmation_token_hash"), type_="unique")
        batch_op.drop_column("confirmation_token_hash")
        batch_op.drop_constraint(op.f("uq_signatures_campaign_id_email_normalised"), type_="unique")
        batch_op.drop_constraint(op.f("ck_signatures_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", STATUSES)
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_duplicate_of_id_signatures"),
            "signatures",
            ["duplicate_of_id"],
            ["id"],
            ondelete="SET NULL",
        )

    _fold()

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            "uq_signatures_campaign_id_email_normalised",
            ["campaign_id", "email_normalised"],
            unique=True,
            sqlite_where=sa.text(NOT_DUPLICATE),
            postgresql_where=sa.text(NOT_DUPLICATE),
        )
    _reconcile_tallies()


def _fold():
    """Each address in its delivery form; each mailbox once per campaign, the earliest
    signature standing for it, the others marked duplicates of it."""
    connection = op.get_bind()
    signatures = sa.table(
        "signatures",
        sa.column("id", sa.Integer),
        sa.column("campaign_id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("email_normalised", sa.String),
        sa.column("status", sa.String),
        sa.column("duplicate_of_id", sa.Integer),
    )
    links = sa.table("confirmation_links", sa.column("signature_id", sa.Integer))
    rows = connection.execute(
        sa.select(signatures.c.id, signatures.c.campaign_id, signatures.c.email)
        .where(signatures.c.email_normalised.is_not(None))
        .order_by(signatures.c.id)
    ).all()
    first: dict[tuple[int, str], int] = {}
    changes: dict[int, dict[str, object]] = defaultdict(dict)
    for row in rows:
        key = normalise_email(row.email)
        delivered = delivery_address(row.email) or row.email
        change = changes[row.id]
        change.update(email_normalised=key, email=delivered)
        kept = first.setdefault((row.campaign_id, key), row.id)
        if kept != row.id:
            change.update(status="duplicate", duplicate_of_id=kept)
    update = (
        signatures.update()
        .where(signatures.c.id == sa.bindparam("row_id"))
        .values(
            email=sa.bindparam("email"),
            email_normalised=sa.bindparam("email_normalised"),
            status=sa.bindparam("status"),
            duplicate_of_id=sa.bindparam("duplicate_of_id"),
        )
    )
    statuses = {
        row_id: status
        for row_id, status in connection.execute(sa.select(signatures.c.id, signatures.c.status))
    }
    params = [
        {
            "row_id": row_id,
            "email": change["email"],
            "email_normalised": change["email_normalised"],
            "status": change.get("status", statuses[row_id]),
            "duplicate_of_id": change.get("duplicate_of_id"),
        }
        for row_id, change in changes.items()
    ]
    for start in range(0, len(params), BATCH):
        connection.execute(update, params[start : start + BATCH])
    duplicates = [row_id for row_id, change in changes.items() if "duplicate_of_id" in change]
    for start in range(0, len(duplicates), BATCH):
        # A duplicate's links could never confirm it: they go.
        connection.execute(
            links.delete().where(links.c.signature_id.in_(duplicates[start : start + BATCH]))
        )


def _reconcile_tallies():
    """Set each campaign's tally to its counted signatures (confirmed, not suspect): the
    folded duplicates no longer count."""
    connection = op.get_bind()
    counts = connection.execute(
        sa.text(
            "SELECT campaign_id, country, COUNT(*) FROM signatures"
            " WHERE status = 'confirmed' AND suspect = :no GROUP BY campaign_id, country"
        ),
        {"no": False},
    ).all()
    shards = connection.execute(
        sa.text(
            "SELECT campaign_id, country, SUM(signature_count) FROM tally_shards"
            " GROUP BY campaign_id, country"
        )
    ).all()
    actual = {(c, country): n for c, country, n in counts}
    counted = {(c, country): int(n or 0) for c, country, n in shards}
    now = datetime.now(UTC)
    for campaign_id, country in set(actual) | set(counted):
        true_count = actual.get((campaign_id, country), 0)
        if counted.get((campaign_id, country), 0) == true_count:
            continue
        params = {"campaign": campaign_id, "country": country}
        connection.execute(
            sa.text(
                "DELETE FROM tally_shards WHERE campaign_id = :campaign AND country = :country"
            ),
            params,
        )
        connection.execute(
            sa.text(
                "INSERT INTO tally_shards (campaign_id, country, shard, signature_count,"
                " updated_at) VALUES (:campaign, :country, 0, :count, :now)"
            ),
            {**params, "count": true_count, "now": now},
        )


def downgrade():
    # Duplicates become invalidated signatures without an address key (the fold itself
    # cannot be undone); each signature keeps its newest link.
    op.execute(
        "UPDATE signatures SET status = 'invalidated', email_normalised = NULL"
        " WHERE status = 'duplicate'"
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("uq_signatures_campaign_id_email_normalised")
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_duplicate_of_id_signatures"), type_="foreignkey"
        )
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_constraint(op.f("ck_signatures_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", OLD_STATUSES)
        batch_op.create_unique_constraint(
            op.f("uq_signatures_campaign_id_email_normalised"), ["campaign_id", "email_normalised"]
        )
        batch_op.add_column(
            sa.Column("confirmation_token_hash", sa.String(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            op.f("uq_signatures_confirmation_token_hash"), ["confirmation_token_hash"]
        )
    op.execute(
        "UPDATE signatures SET confirmation_token_hash = (SELECT token_hash FROM"
        " confirmation_links WHERE confirmation_links.signature_id = signatures.id"
        " ORDER BY confirmation_links.id DESC LIMIT 1)"
    )
    with op.batch_alter_table("confirmation_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confirmation_links_signature_id"))
    op.drop_table("confirmation_links")
