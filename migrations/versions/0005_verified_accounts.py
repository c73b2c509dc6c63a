"""verified accounts: verified addresses, server-side login sessions, postcode -> area table

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 14:00:00.000000

Issue 12, item 4. Accounts that exist before this revision are not verified: their owners
verify from the voting page before they vote. The postcode districts (a guess from the first
half of a postcode) are dropped: facilitators upload a postcode -> area table instead.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash')),
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)

    op.create_table(
        'postcode_area',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=True),
        sa.Column('postcode', sa.String(length=8), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_postcode_area_area_id_area'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_postcode_area_round_id_round'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_postcode_area')),
        sa.UniqueConstraint('round_id', 'postcode', name=op.f('uq_postcode_area_round_id_postcode')),
    )
    with op.batch_alter_table('postcode_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode_area_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postcode_area_postcode'), ['postcode'], unique=False)

    op.drop_table('postcode_district')


def downgrade():
    op.create_table(
        'postcode_district',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=8), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_postcode_district_area_id_area'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_postcode_district')),
        sa.UniqueConstraint('district', name=op.f('uq_postcode_district_district')),
    )
    op.drop_table('postcode_area')
    op.drop_table('login_session')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
