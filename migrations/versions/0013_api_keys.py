"""api keys, deleted-signature records and signatures.modified_at, for the API's sync

Revision ID: 0013_api_keys
Revises: 0011_organisation_identity
Create Date: 2026-11-30 00:40:00

A batch migration of `signatures` on SQLite copies the table and so loses its trigger: any
later one must create `signatures_record_deletion` again (see campaign/api/models.py).
"""
from alembic import op
import sqlalchemy as sa

# As in campaign/api/models.py at the time of this revision (copied: a migration must not
# change when the application does).
SQLITE_DELETION_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS signatures_record_deletion AFTER DELETE ON signatures
WHEN OLD.status = 'confirmed'
BEGIN
    INSERT OR REPLACE INTO signature_deletions (signature_id, campaign_id, deleted_at)
    VALUES (OLD.id, OLD.campaign_id, strftime('%Y-%m-%d %H:%M:%f000', 'now'));
END
"""
POSTGRESQL_DELETION_FUNCTION = """
CREATE OR REPLACE FUNCTION signatures_record_deletion() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'confirmed' THEN
        INSERT INTO signature_deletions (signature_id, campaign_id, deleted_at)
        VALUES (OLD.id, OLD.campaign_id, clock_timestamp())
        ON CONFLICT (signature_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at;
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql
"""
POSTGRESQL_DELETION_TRIGGER = """
CREATE TRIGGER signatures_record_deletion AFTER DELETE ON signatures
FOR EACH ROW EXECUTE FUNCTION signatures_record_deletion()
"""


# revision identifiers, used by Alembic.
revision = '0013_api_keys'
down_revision = '0012_organiser_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_api_keys_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('signature_deletions',
    sa.Column('signature_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_signature_deletions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_signature_deletions'))
    )
    with op.batch_alter_table('signature_deletions', schema=None) as batch_op:
        batch_op.create_index('ix_signature_deletions_campaign_deleted', ['campaign_id', 'deleted_at'], unique=False)

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True))
    # The latest thing known to have happened to each signature.
    op.execute(
        "UPDATE signatures SET modified_at = COALESCE(anonymised_at, opt_in_withdrawn_at,"
        " confirmed_at, signed_at)"
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.alter_column('modified_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_signatures_campaign_modified', ['campaign_id', 'modified_at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_DELETION_FUNCTION)
        op.execute(POSTGRESQL_DELETION_TRIGGER)
    else:
        op.execute(SQLITE_DELETION_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS signatures_record_deletion ON signatures')
        op.execute('DROP FUNCTION IF EXISTS signatures_record_deletion()')
    else:
        op.execute('DROP TRIGGER IF EXISTS signatures_record_deletion')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_campaign_modified')
        batch_op.drop_column('modified_at')
    with op.batch_alter_table('signature_deletions', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_deletions_campaign_deleted')
    op.drop_table('signature_deletions')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_campaign_id'))
    op.drop_table('api_keys')
