"""privacy: manage links, opt-in withdrawal, anonymisation, erasure counts, email headers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasure_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('confirmed_erased', sa.Integer(), nullable=False),
    sa.Column('pending_erased', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_erasure_counts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'day', name=op.f('pk_erasure_counts'))
    )
    op.create_table('anonymisation_postponements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('postponed_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_anonymisation_postponements_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymisation_postponements'))
    )
    with op.batch_alter_table('anonymisation_postponements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anonymisation_postponements_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=16), server_default='transactional', nullable=False))
        batch_op.create_check_constraint(op.f('ck_outbox_messages_category_known'), "category IN ('transactional', 'update')")

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opt_in_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('manage_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('email_normalised', existing_type=sa.String(length=254), nullable=True)
        batch_op.create_unique_constraint(op.f('uq_signatures_manage_key'), ['manage_key'])

    # Signatures made before this revision get their manage key (the handle in their
    # unsubscribe and delete links) from the database's own random source.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE signatures SET manage_key = replace(gen_random_uuid()::text, '-', '')")
    else:
        op.execute("UPDATE signatures SET manage_key = lower(hex(randomblob(16)))")


def downgrade():
    # Anonymised signatures hold no address; the older schema wants one in every row.
    op.execute("UPDATE signatures SET email_normalised = 'anonymised-' || id WHERE email_normalised IS NULL")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_signatures_manage_key'), type_='unique')
        batch_op.alter_column('email_normalised', existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('manage_key')
        batch_op.drop_column('opt_in_withdrawn_at')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_category_known'), type_='check')
        batch_op.drop_column('category')
        batch_op.drop_column('headers')

    with op.batch_alter_table('anonymisation_postponements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymisation_postponements_campaign_id'))

    op.drop_table('anonymisation_postponements')
    op.drop_table('erasure_counts')
