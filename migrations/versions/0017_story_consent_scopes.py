"""story consent scopes: where the person in a story agreed it may be shown

Issue 16's new-user review: a story whose consent excluded open data was still exported,
because consent was one free-text field. Consent is now two flags, the project page (needed
to publish at all) and the open data under CC BY 4.0; the free text stays as an optional note.

Existing stories cannot be read reliably from free text, so they are derived conservatively:
the project page (they were published there with consent), not the open data.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_page', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('consent_open_data', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text('UPDATE story SET consent_page = :yes').bindparams(yes=True))


def downgrade():
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_column('consent_open_data')
        batch_op.drop_column('consent_page')
