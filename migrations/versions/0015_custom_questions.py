"""campaigns.questions and signatures.answers: a campaign's own questions

Revision ID: 0015_custom_questions
Revises: 0014_paper_signatures
Create Date: 2026-11-30 01:10:00

Plain ADD COLUMN (no batch copy), so the deletion trigger on signatures stays.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_custom_questions'
down_revision = '0014_paper_signatures'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('campaigns', sa.Column('questions', sa.JSON(), nullable=True))
    op.add_column('signatures', sa.Column('answers', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('signatures', 'answers')
    op.drop_column('campaigns', 'questions')
