"""evidence: the stated reason for a threshold of one signature

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 10:20:00.000000

A round published on one signature must say why (issue 13): the reason is signed in the
manifest and printed on the PDF. Existing rounds get an empty reason.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('threshold_reason', sa.Text(), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('threshold_reason')
