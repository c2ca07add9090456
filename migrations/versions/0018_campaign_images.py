"""campaign_images and campaign_image_alts: a campaign's own picture and its alt texts

Revision ID: 0018_campaign_images
Revises: 0017_embed_origins
Create Date: 2026-11-30 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_campaign_images'
down_revision = '0017_embed_origins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_images',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('page_small_file', sa.String(length=80), nullable=False),
    sa.Column('page_large_file', sa.String(length=80), nullable=False),
    sa.Column('card_file', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_images_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_images'))
    )
    op.create_table('campaign_image_alts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign_images.campaign_id'], name=op.f('fk_campaign_image_alts_campaign_id_campaign_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_image_alts')),
    sa.UniqueConstraint('campaign_id', 'locale', name=op.f('uq_campaign_image_alts_campaign_id_locale'))
    )


def downgrade():
    op.drop_table('campaign_image_alts')
    op.drop_table('campaign_images')
