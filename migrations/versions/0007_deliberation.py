"""deliberation: panel sessions, conflicts, arguments, rubric scores, shortlist votes, minutes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:56:31.902505

Issue 15, part 2. Revises 0006 for now; it follows the sortition migration (0007) once both
are merged.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('panel_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('online_link', sa.String(length=500), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_panel_session_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_session'))
    )
    with op.batch_alter_table('panel_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_session_round_id'), ['round_id'], unique=False)

    op.create_table('rubric_criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.CheckConstraint('weight >= 1 AND weight <= 100', name=op.f('ck_rubric_criterion_weight_range')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_rubric_criterion_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_criterion')),
    sa.UniqueConstraint('round_id', 'name', name=op.f('uq_rubric_criterion_round_id_name'))
    )
    with op.batch_alter_table('rubric_criterion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rubric_criterion_round_id'), ['round_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.CheckConstraint("proposal_id IS NOT NULL OR topic <> ''", name=op.f('ck_agenda_item_proposal_or_topic')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_agenda_item_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_agenda_item_session_id_panel_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('session_id', 'proposal_id', name=op.f('uq_agenda_item_session_id_proposal_id'))
    )
    op.create_table('argument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('body', sa.String(length=600), nullable=False),
    sa.Column('by_panel_member', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('hidden_reason', sa.String(length=300), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("side IN ('for','against')", name=op.f('ck_argument_side_known')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_argument_author_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_argument_hidden_by_id_user')),
    sa.ForeignKeyConstraint(['parent_id'], ['argument.id'], name=op.f('fk_argument_parent_id_argument'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_argument_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_argument'))
    )
    with op.batch_alter_table('argument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_argument_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_attendance_session_id_panel_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attendance_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_attendance_session_id_user_id'))
    )
    op.create_table('conflict_of_interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_conflict_of_interest_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_conflict_of_interest_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_conflict_of_interest_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict_of_interest')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_conflict_of_interest_proposal_id_user_id'))
    )
    with op.batch_alter_table('conflict_of_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflict_of_interest_round_id'), ['round_id'], unique=False)

    op.create_table('minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('head', sa.String(length=64), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_minutes_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_minutes_session_id_panel_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes')),
    sa.UniqueConstraint('round_id', 'sequence', name=op.f('uq_minutes_round_id_sequence')),
    sa.UniqueConstraint('session_id', name=op.f('uq_minutes_session_id'))
    )
    op.create_table('score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.CheckConstraint('value >= 0 AND value <= 5', name=op.f('ck_score_value_range')),
    sa.ForeignKeyConstraint(['criterion_id'], ['rubric_criterion.id'], name=op.f('fk_score_criterion_id_rubric_criterion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_score_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_score_session_id_panel_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_score_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score')),
    sa.UniqueConstraint('session_id', 'proposal_id', 'user_id', 'criterion_id', name=op.f('uq_score_session_id_proposal_id_user_id_criterion_id'))
    )
    op.create_table('session_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_session_document_session_id_panel_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_document'))
    )
    op.create_table('shortlist_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=20), nullable=False),
    sa.Column('candidate_ids', sa.JSON(), nullable=False),
    sa.Column('shortlist_ids', sa.JSON(), nullable=True),
    sa.Column('transcript', sa.JSON(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("method IN ('ranked','threshold')", name=op.f('ck_shortlist_decision_method_known')),
    sa.CheckConstraint('places >= 1', name=op.f('ck_shortlist_decision_places_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['panel_session.id'], name=op.f('fk_shortlist_decision_session_id_panel_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_decision')),
    sa.UniqueConstraint('session_id', name=op.f('uq_shortlist_decision_session_id'))
    )
    op.create_table('argument_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('argument_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['argument_id'], ['argument.id'], name=op.f('fk_argument_report_argument_id_argument'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_argument_report_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_argument_report')),
    sa.UniqueConstraint('argument_id', 'user_id', name=op.f('uq_argument_report_argument_id_user_id'))
    )
    op.create_table('minutes_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_approval_minutes_id_minutes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_minutes_approval_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_approval')),
    sa.UniqueConstraint('minutes_id', 'user_id', name=op.f('uq_minutes_approval_minutes_id_user_id'))
    )
    op.create_table('panel_ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['shortlist_decision.id'], name=op.f('fk_panel_ballot_decision_id_shortlist_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_panel_ballot_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_ballot')),
    sa.UniqueConstraint('decision_id', 'user_id', name=op.f('uq_panel_ballot_decision_id_user_id'))
    )
    op.create_table('shortlist_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['shortlist_decision.id'], name=op.f('fk_shortlist_reason_decision_id_shortlist_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_shortlist_reason_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_reason')),
    sa.UniqueConstraint('decision_id', 'proposal_id', name=op.f('uq_shortlist_reason_decision_id_proposal_id'))
    )


def downgrade():
    op.drop_table('shortlist_reason')
    op.drop_table('panel_ballot')
    op.drop_table('minutes_approval')
    op.drop_table('argument_report')
    op.drop_table('shortlist_decision')
    op.drop_table('session_document')
    op.drop_table('score')
    op.drop_table('minutes')
    with op.batch_alter_table('conflict_of_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_of_interest_round_id'))

    op.drop_table('conflict_of_interest')
    op.drop_table('attendance')
    with op.batch_alter_table('argument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_argument_proposal_id'))

    op.drop_table('argument')
    op.drop_table('agenda_item')
    with op.batch_alter_table('rubric_criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rubric_criterion_round_id'))

    op.drop_table('rubric_criterion')
    with op.batch_alter_table('panel_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_session_round_id'))

    op.drop_table('panel_session')
