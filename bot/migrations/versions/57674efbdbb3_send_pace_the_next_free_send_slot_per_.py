"""send_pace: the next free send slot per sender, shared by dispatcher processes

Revision ID: 57674efbdbb3
Revises: e953874e97ca
Create Date: 2026-11-30 12:42:47.606245
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.database


revision: str = '57674efbdbb3'
down_revision: str | None = 'e953874e97ca'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per sender (and per recipient with an interval); no row means 'free now'.
    op.create_table('send_pace',
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('next_at', bot.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sender', name=op.f('pk_send_pace'))
    )


def downgrade() -> None:
    op.drop_table('send_pace')
