"""sealed box: envelopes during voting, the commitment board at close, sealed receipts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:00:00.000000

Issue 12: a cast writes a participation mark and a sealed envelope (ciphertext, random key, no
time); closing opens the envelopes into the commitment board and the sorted plaintext list.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sealed_ballot',
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('lookup', sa.LargeBinary(length=32), nullable=False),
    sa.Column('box', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_sealed_ballot_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballot')),
    sa.UniqueConstraint('round_id', 'lookup', name=op.f('uq_sealed_ballot_round_id_lookup'))
    )
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballot_round_id'), ['round_id'], unique=False)

    op.create_table('board_entry',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tracker', sa.LargeBinary(length=16), nullable=False),
    sa.Column('commitment', sa.LargeBinary(length=32), nullable=False),
    sa.Column('route', sa.String(length=10), nullable=False),
    sa.Column('leaf', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('position >= 1', name=op.f('ck_board_entry_position_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_board_entry_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'position', name=op.f('pk_board_entry')),
    sa.UniqueConstraint('round_id', 'tracker', name=op.f('uq_board_entry_round_id_tracker'))
    )

    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_receipt', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ballot_channel_known'), type_='check')
        batch_op.create_check_constraint(
            'channel_known', "channel IN ('online','paper','imported','sealed')"
        )


def downgrade():
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ballot_channel_known'), type_='check')
        batch_op.create_check_constraint(
            'channel_known', "channel IN ('online','paper','imported')"
        )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_column('sealed_receipt')
    op.drop_table('board_entry')
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballot_round_id'))
    op.drop_table('sealed_ballot')
