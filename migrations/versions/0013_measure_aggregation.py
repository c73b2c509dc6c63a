"""measure aggregation: how an outcome measure's figures combine into a total

Summing every figure is wrong for a score (a wellbeing change is averaged) and for a running
total reported again at each milestone ("people reached so far": the latest figure of each
project counts). Each measure now says which: sum, mean or latest. Existing measures keep
the sum they were shown with.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aggregation', sa.String(length=10), server_default='sum', nullable=False))
        batch_op.create_check_constraint('aggregation_known', "aggregation IN ('sum','mean','latest')")


def downgrade():
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outcome_measure_aggregation_known'), type_='check')
        batch_op.drop_column('aggregation')
