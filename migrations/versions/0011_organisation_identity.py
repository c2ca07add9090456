"""organisation identity: name, logo, accent colour and the thank-you page's next step

Revision ID: 0011_organisation_identity
Revises: 0010_fold_mailboxes
Create Date: 2026-11-30 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_organisation_identity'
down_revision = '0010_fold_mailboxes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('accent_colour', sa.String(length=7), nullable=True),
    sa.Column('logo_png', sa.LargeBinary(), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('next_step', sa.String(length=16), nullable=False),
    sa.Column('donate_url', sa.String(length=500), nullable=True),
    sa.Column('next_campaign_slug', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_identity'))
    )


def downgrade():
    op.drop_table('organisation_identity')
