"""campaigns.embed_origins: the sites that may frame the embeddable form

Revision ID: 0017_embed_origins
Revises: 0016_webhooks
Create Date: 2026-11-30 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_embed_origins'
down_revision = '0016_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('campaigns', sa.Column('embed_origins', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('campaigns', 'embed_origins')
