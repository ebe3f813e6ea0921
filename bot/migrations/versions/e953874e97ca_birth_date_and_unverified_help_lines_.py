"""Birth date (exact age for help lines) and a setting to hide unverified help lines

Revision ID: e953874e97ca
Revises: 22fb06f3bd99
Create Date: 2026-11-30 06:41:53.247065
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e953874e97ca'
down_revision: str | None = '22fb06f3bd99'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        # Existing municipalities keep showing every help line (an unverified line beats none).
        batch_op.add_column(sa.Column('hide_unverified_helplines', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('young_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('young_person', schema=None) as batch_op:
        batch_op.drop_column('birth_date')

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_column('hide_unverified_helplines')

