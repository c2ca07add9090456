"""suspect signatures (held back from the count) and an invalidated status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suspect", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint(op.f("ck_signatures_status_known"), type_="check")
        batch_op.create_check_constraint(
            "status_known", "status IN ('pending', 'confirmed', 'invalidated')"
        )
    # The default was only for existing rows; the application always sets the value.
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.alter_column("suspect", server_default=None)


def downgrade():
    op.execute("DELETE FROM signatures WHERE status = 'invalidated'")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_signatures_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", "status IN ('pending', 'confirmed')")
        batch_op.drop_column("suspect")
