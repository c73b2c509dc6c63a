"""learning version: the counter the learning dashboard's cache is keyed on

Issue 16, parts 3 and 4: one row, bumped in the same transaction as every change to what the
dashboard and the open data read (decide/models/learning.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('learning_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_version'))
    )
    op.execute("INSERT INTO learning_version (id, counter) VALUES (1, 0)")


def downgrade():
    op.drop_table('learning_version')
