"""news to supporters: news_messages, news_texts, outbox_messages.news_id (the 'news' kind)

Revision ID: 0021_news
Revises: 0020_milestones_and_outcomes
Create Date: 2026-11-30 04:07:53.660597

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_news'
down_revision = '0020_milestones_and_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('news_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('queued_through', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'queuing', 'queued')", name=op.f('ck_news_messages_state_known')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_news_messages_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_messages'))
    )
    with op.batch_alter_table('news_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_news_messages_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('news_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('news_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['news_id'], ['news_messages.id'], name=op.f('fk_news_texts_news_id_news_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_texts')),
    sa.UniqueConstraint('news_id', 'locale', name=op.f('uq_news_texts_news_id_locale'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('news_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_messages_news_id_status', ['news_id', 'status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_news_id_news_messages'), 'news_messages', ['news_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_news_id_news_messages'), type_='foreignkey')
        batch_op.drop_index('ix_outbox_messages_news_id_status')
        batch_op.drop_column('news_id')

    op.drop_table('news_texts')
    with op.batch_alter_table('news_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_news_messages_campaign_id'))

    op.drop_table('news_messages')
