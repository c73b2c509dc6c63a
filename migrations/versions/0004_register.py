"""register: one register per round; roll bindings, numbered paper ballots, routes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 14:00:00.000000

Every route to a ballot marks one register entry (issue 12, items 3 and 5): roll entries keep
a keyed hash of their reference (a new upload keeps them), access codes may be printed for a
roll entry, accounts are bound to a roll entry, paper ballot numbers are issued in advance and
record the officer, a participation mark records its route, and a round without a roll needs
the facilitator's confirmation of the self-declared warning.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voter_roll_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_voter_roll_entry_round_id_reference_hash', ['round_id', 'reference_hash']
        )
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roll_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_access_code_roll_entry_id_voter_roll_entry', 'voter_roll_entry',
            ['roll_entry_id'], ['id'], ondelete='CASCADE',
        )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(length=10), nullable=True))
    with op.batch_alter_table('round_eligibility', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('self_declared_ok', sa.Boolean(), nullable=False, server_default='0')
        )
    op.create_table(
        'roll_binding',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['entry_id'], ['voter_roll_entry.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('round_id', 'user_id'),
    )
    op.create_index('ix_roll_binding_entry_id', 'roll_binding', ['entry_id'])
    op.create_table(
        'paper_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_paper_batch_round_id', 'paper_batch', ['round_id'])
    op.create_table(
        'paper_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('used_on', sa.Date(), nullable=True),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['paper_batch.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['officer_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'number'),
    )
    op.create_index('ix_paper_number_round_id', 'paper_number', ['round_id'])


def downgrade():
    op.drop_index('ix_paper_number_round_id', table_name='paper_number')
    op.drop_table('paper_number')
    op.drop_index('ix_paper_batch_round_id', table_name='paper_batch')
    op.drop_table('paper_batch')
    op.drop_index('ix_roll_binding_entry_id', table_name='roll_binding')
    op.drop_table('roll_binding')
    with op.batch_alter_table('round_eligibility', schema=None) as batch_op:
        batch_op.drop_column('self_declared_ok')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_column('route')
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.drop_constraint('fk_access_code_roll_entry_id_voter_roll_entry', type_='foreignkey')
        batch_op.drop_column('roll_entry_id')
    with op.batch_alter_table('voter_roll_entry', schema=None) as batch_op:
        batch_op.drop_constraint('uq_voter_roll_entry_round_id_reference_hash', type_='unique')
        batch_op.drop_column('reference_hash')
