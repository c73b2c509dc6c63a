"""delivery: milestones, progress updates and photos, outcome measures and impact figures,
stories with consent, retrospectives, carried-over proposals; a ledger payment's milestone
and reason

Issue 16, parts 1 and 2. Revises 0007 for now; it follows 0008 once both are merged.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04 19:55:59.114747

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('may_be_negative', sa.Boolean(), nullable=False),
    sa.Column('by_area', sa.Boolean(), nullable=False),
    sa.Column('by_decile', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_outcome_measure_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_measure')),
    sa.UniqueConstraint('round_id', 'name', name=op.f('uq_outcome_measure_round_id_name'))
    )
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_measure_round_id'), ['round_id'], unique=False)

    op.create_table('retrospective',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('what_worked', sa.Text(), nullable=False),
    sa.Column('what_did_not', sa.Text(), nullable=False),
    sa.Column('changes_next_round', sa.Text(), nullable=False),
    sa.Column('authors', sa.String(length=500), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_retrospective_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['user.id'], name=op.f('fk_retrospective_written_by_id_user')),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_retrospective'))
    )
    op.create_table('carry_over',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('to_round_id', sa.Integer(), nullable=False),
    sa.Column('new_proposal_id', sa.Integer(), nullable=True),
    sa.Column('consent_by_id', sa.Integer(), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consent_by_id'], ['user.id'], name=op.f('fk_carry_over_consent_by_id_user')),
    sa.ForeignKeyConstraint(['new_proposal_id'], ['proposal.id'], name=op.f('fk_carry_over_new_proposal_id_proposal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_carry_over_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_round_id'], ['round.id'], name=op.f('fk_carry_over_to_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carry_over')),
    sa.UniqueConstraint('proposal_id', 'to_round_id', name=op.f('uq_carry_over_proposal_id_to_round_id'))
    )
    with op.batch_alter_table('carry_over', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carry_over_to_round_id'), ['to_round_id'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('tranche_pence', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("confirmed_at IS NULL OR status = 'completed'", name=op.f('ck_milestone_confirmed_completed')),
    sa.CheckConstraint("status IN ('not-started','on-track','delayed','completed')", name=op.f('ck_milestone_status_known')),
    sa.CheckConstraint('tranche_pence >= 0', name=op.f('ck_milestone_tranche_nonnegative')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_milestone_confirmed_by_id_user')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_milestone_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone')),
    sa.UniqueConstraint('project_id', 'position', name=op.f('uq_milestone_project_id_position'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_project_id'), ['project_id'], unique=False)

    op.create_table('impact_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('decile', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('decile IS NULL OR (decile BETWEEN 1 AND 10)', name=op.f('ck_impact_figure_decile_range')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_impact_figure_area_id_area')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_impact_figure_author_id_user')),
    sa.ForeignKeyConstraint(['measure_id'], ['outcome_measure.id'], name=op.f('fk_impact_figure_measure_id_outcome_measure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_impact_figure_milestone_id_milestone'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_impact_figure_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_impact_figure_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_figure'))
    )
    with op.batch_alter_table('impact_figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_impact_figure_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_impact_figure_project_id'), ['project_id'], unique=False)

    op.create_table('progress_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_progress_update_author_id_user')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_progress_update_milestone_id_milestone'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_progress_update_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_progress_update_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_update'))
    )
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_update_project_id'), ['project_id'], unique=False)

    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("alt_text <> ''", name=op.f('ck_photo_alt_text_given')),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_photo_size_positive')),
    sa.ForeignKeyConstraint(['update_id'], ['progress_update.id'], name=op.f('fk_photo_update_id_progress_update'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_update_id'), ['update_id'], unique=False)

    op.create_table('story',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('consent_by', sa.String(length=120), nullable=False),
    sa.Column('consent_on', sa.Date(), nullable=False),
    sa.Column('consent_use', sa.String(length=300), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_story_author_id_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_story_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_story_photo_id_photo'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_story_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story'))
    )
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('ledger_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_ledger_payment_milestone_id_milestone'), 'milestone', ['milestone_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('ledger_payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_payment_milestone_id_milestone'), type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('milestone_id')

    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_project_id'))

    op.drop_table('story')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_update_id'))

    op.drop_table('photo')
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_update_project_id'))

    op.drop_table('progress_update')
    with op.batch_alter_table('impact_figure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_impact_figure_project_id'))
        batch_op.drop_index(batch_op.f('ix_impact_figure_measure_id'))

    op.drop_table('impact_figure')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_project_id'))

    op.drop_table('milestone')
    with op.batch_alter_table('carry_over', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carry_over_to_round_id'))

    op.drop_table('carry_over')
    op.drop_table('retrospective')
    with op.batch_alter_table('outcome_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_measure_round_id'))

    op.drop_table('outcome_measure')
