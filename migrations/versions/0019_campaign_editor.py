"""campaigns made in the browser: draft or published, owned by the database once edited there;
organisers who may start campaigns

Revision ID: 0019_campaign_editor
Revises: 0018_campaign_images
Create Date: 2026-11-30 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_campaign_editor'
down_revision = '0018_campaign_images'
branch_labels = None
depends_on = None


def upgrade():
    # Every campaign that exists came from content files and is public: it stays published,
    # since the day it was created.
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=16), nullable=False, server_default='published')
        )
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('edited_in_browser_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_campaigns_status_known'), "status IN ('draft', 'published')"
        )
    op.execute("UPDATE campaigns SET published_at = created_at WHERE published_at IS NULL")
    with op.batch_alter_table('organisers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'can_create_campaigns', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table('organisers', schema=None) as batch_op:
        batch_op.drop_column('can_create_campaigns')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_status_known'), type_='check')
        batch_op.drop_column('edited_in_browser_at')
        batch_op.drop_column('published_at')
        batch_op.drop_column('status')
