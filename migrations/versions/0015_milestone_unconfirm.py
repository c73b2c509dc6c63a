"""milestone unconfirm: a facilitator may withdraw a mistaken milestone confirmation

Issue 16's new-user review: a confirmation made by mistake could not be taken back. Each
withdrawal is kept (the confirmation withdrawn, who withdrew it, when and why) for the
milestone's public history. Refused once a tranche was paid on the strength of it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'milestone_withdrawal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('milestone_id', sa.Integer(), nullable=False),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_milestone_withdrawal_confirmed_by_id_user')),
        sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_withdrawal_milestone_id_milestone'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'], name=op.f('fk_milestone_withdrawal_withdrawn_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_withdrawal')),
    )
    with op.batch_alter_table('milestone_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_withdrawal_milestone_id'), ['milestone_id'], unique=False)


def downgrade():
    with op.batch_alter_table('milestone_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_withdrawal_milestone_id'))
    op.drop_table('milestone_withdrawal')
