"""lottery started: the pool closes when the lottery's computation starts

Issue 15's outside test r16a: a volunteer could register while the lottery was being
computed and be told they were in a pool the published record left out. The pool now closes
(``lottery_started_at``) in its own transaction before the pool is read and the solver runs;
it reopens if the solver fails.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sortition_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lottery_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('sortition_settings', schema=None) as batch_op:
        batch_op.drop_column('lottery_started_at')
