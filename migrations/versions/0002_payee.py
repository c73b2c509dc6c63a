"""proposal payee: the organisation paid if a proposal's project is funded

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite adds a foreign key only by rebuilding the table.
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_proposal_payee_id_organisation'), 'organisation', ['payee_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_proposal_payee_id_organisation'), type_='foreignkey'
        )
        batch_op.drop_column('payee_id')
