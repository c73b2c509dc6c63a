"""sortition: volunteers with consent and features, quotas, and the round's sortition record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:07:19.651149

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sortition_quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=120), nullable=False),
    sa.Column('min_count', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_count >= 0 AND max_count >= min_count', name=op.f('ck_sortition_quota_quota_range')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_sortition_quota_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sortition_quota')),
    sa.UniqueConstraint('round_id', 'feature', 'value', name=op.f('uq_sortition_quota_round_id_feature_value'))
    )
    with op.batch_alter_table('sortition_quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sortition_quota_round_id'), ['round_id'], unique=False)

    op.create_table('sortition_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('panel_size', sa.Integer(), nullable=False),
    sa.Column('extra_features', sa.JSON(), nullable=False),
    sa.Column('record', sa.LargeBinary(), nullable=True),
    sa.Column('record_hash', sa.String(length=64), nullable=True),
    sa.Column('lottery_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seed', sa.String(length=200), nullable=True),
    sa.Column('seed_announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('panel_size > 0', name=op.f('ck_sortition_settings_panel_size_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_sortition_settings_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sortition_settings')),
    sa.UniqueConstraint('round_id', name=op.f('uq_sortition_settings_round_id'))
    )
    op.create_table('volunteer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=20), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=20), nullable=False),
    sa.Column('gender', sa.String(length=20), nullable=False),
    sa.Column('partner_type', sa.String(length=30), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_volunteer_area_id_area')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_volunteer_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_volunteer_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer')),
    sa.UniqueConstraint('pseudonym', name=op.f('uq_volunteer_pseudonym')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_volunteer_round_id_user_id'))
    )
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_round_id'), ['round_id'], unique=False)



def downgrade():
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_round_id'))

    op.drop_table('volunteer')
    op.drop_table('sortition_settings')
    with op.batch_alter_table('sortition_quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sortition_quota_round_id'))

    op.drop_table('sortition_quota')
