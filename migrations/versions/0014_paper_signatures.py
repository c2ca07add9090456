"""signatures.import_key: rows imported from paper sheets, each imported once

Revision ID: 0014_paper_signatures
Revises: 0013_api_keys
Create Date: 2026-11-30 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_paper_signatures'
down_revision = '0013_api_keys'
branch_labels = None
depends_on = None

# SQLite's batch mode copies the table, which drops its trigger: it is made again (as in
# 0013_api_keys).
SQLITE_DELETION_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS signatures_record_deletion AFTER DELETE ON signatures
WHEN OLD.status = 'confirmed'
BEGIN
    INSERT OR REPLACE INTO signature_deletions (signature_id, campaign_id, deleted_at)
    VALUES (OLD.id, OLD.campaign_id, strftime('%Y-%m-%d %H:%M:%f000', 'now'));
END
"""


def _sqlite_trigger_again():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS signatures_record_deletion')
        op.execute(SQLITE_DELETION_TRIGGER)


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f('uq_signatures_campaign_id_import_key'), ['campaign_id', 'import_key'])
    _sqlite_trigger_again()


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_signatures_campaign_id_import_key'), type_='unique')
        batch_op.drop_column('import_key')
    _sqlite_trigger_again()
