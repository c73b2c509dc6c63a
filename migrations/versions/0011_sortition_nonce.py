"""sortition nonce: commit-reveal for the draw and each round of replacements

Issue 15 (security review): the server commits to a secret nonce before any seed is announced
and mixes it into the draw, so a facilitator cannot grind seeds (decide/sortition/record.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sortition_settings') as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replacement_nonce', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replacement_seed', sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column('replacement_seed_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('sortition_settings') as batch_op:
        batch_op.drop_column('replacement_seed_at')
        batch_op.drop_column('replacement_seed')
        batch_op.drop_column('replacement_nonce')
        batch_op.drop_column('nonce')
