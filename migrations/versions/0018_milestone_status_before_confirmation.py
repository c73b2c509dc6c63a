"""milestone status before confirmation: what withdrawing a confirmation goes back to

Issue 16's new-user review: withdrawing a milestone's confirmation offered "On track" whatever
the milestone's status had been. The status at confirmation is now kept; milestones confirmed
before this have none (the form then offers "Not started").

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_before_confirmation', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('status_before_confirmation')
