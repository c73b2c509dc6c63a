"""delivery corrections: whole-number measures, withdrawn figures, removed updates and photos

Issue 16's security review: a measure that counts (people, sessions) takes whole numbers only;
an organisation may withdraw a mistaken impact figure (kept, out of every total); the
delivering organisation or the facilitator may remove an update or a photo (kept, never
shown). Who and when are recorded.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('whole_numbers', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('impact_figure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_impact_figure_withdrawn_by_id_user'), 'user', ['withdrawn_by_id'], ['id'])
    for table in ('progress_update', 'photo'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('removed_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_removed_by_id_user'), 'user', ['removed_by_id'], ['id'])


def downgrade():
    for table in ('photo', 'progress_update'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_removed_by_id_user'), type_='foreignkey')
            batch_op.drop_column('removed_by_id')
            batch_op.drop_column('removed_at')
    with op.batch_alter_table('impact_figure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_impact_figure_withdrawn_by_id_user'), type_='foreignkey')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.drop_column('whole_numbers')
