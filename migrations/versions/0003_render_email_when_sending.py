"""outbox messages carry a template and its data; workers render them when sending

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("locale", sa.String(length=8), nullable=False, server_default="en")
        )
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("locale", server_default=None)


def downgrade():
    # Messages not yet rendered cannot be kept without their template: deliver them first.
    op.execute("DELETE FROM outbox_messages WHERE body_text IS NULL")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("locale")
        batch_op.drop_column("context")
        batch_op.drop_column("template")
