"""campaigns: milestones, and the outcome recorded when organisers close a campaign

Revision ID: 0020_milestones_and_outcomes
Revises: 0019_campaign_editor
Create Date: 2026-11-30 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_milestones_and_outcomes'
down_revision = '0019_campaign_editor'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestones', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('outcome_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome_texts', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_campaigns_outcome_known'),
            "outcome IS NULL OR outcome IN ('delivered', 'won', 'lost', 'response')",
        )


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_outcome_known'), type_='check')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('outcome_texts')
        batch_op.drop_column('outcome_on')
        batch_op.drop_column('outcome')
        batch_op.drop_column('milestones')
