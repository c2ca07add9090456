"""one outbox for every kind of outbound message: a `kind` column ('email' for every row
so far), a JSON `payload` for kinds without columns of their own, email columns required for
email only, and the workers' index led by the kind

Revision ID: 0009_outbox_kinds
Revises: 0008
Create Date: 2026-11-30 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_outbox_kinds"
down_revision = "0008"
branch_labels = None
depends_on = None

EMAIL_COMPLETE = (
    "kind <> 'email' OR (recipient IS NOT NULL AND subject IS NOT NULL"
    " AND locale IS NOT NULL AND category IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="email")
        )
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.alter_column("recipient", existing_type=sa.String(length=254), nullable=True)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("locale", existing_type=sa.String(length=8), nullable=True)
        batch_op.alter_column(
            "category",
            existing_type=sa.String(length=16),
            nullable=True,
            server_default=None,
            existing_server_default="transactional",
        )
        batch_op.drop_index("ix_outbox_messages_status_next_attempt")
        batch_op.create_index(
            "ix_outbox_messages_kind_status_next_attempt",
            ["kind", "status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_check_constraint(op.f("ck_outbox_messages_email_complete"), EMAIL_COMPLETE)
    # Every row so far is an email; from now on the code that queues a message names its kind.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=32),
            server_default=None,
            existing_server_default="email",
        )


def downgrade():
    # Only email existed before: messages of other kinds cannot be kept.
    op.execute("DELETE FROM outbox_messages WHERE kind <> 'email'")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_email_complete"), type_="check")
        batch_op.drop_index("ix_outbox_messages_kind_status_next_attempt")
        batch_op.create_index(
            "ix_outbox_messages_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )
        batch_op.alter_column(
            "category",
            existing_type=sa.String(length=16),
            nullable=False,
            server_default="transactional",
        )
        batch_op.alter_column("locale", existing_type=sa.String(length=8), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column("recipient", existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_column("payload")
        batch_op.drop_column("kind")
