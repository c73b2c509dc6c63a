"""checkpoint annex: the delivery annex a ledger checkpoint co-signs

The PDF's delivery annex (delivery.json) printed populations, turnout, milestones and impact
totals that no signature covered. A ledger checkpoint now stores the annex drawn up with it;
its SHA-256 is part of the checkpoint the panel signs, and the edition that follows carries
exactly these bytes. Older checkpoints have none (their editions carry no annex).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_checkpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('annex_json', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('ledger_checkpoint', schema=None) as batch_op:
        batch_op.drop_column('annex_json')
