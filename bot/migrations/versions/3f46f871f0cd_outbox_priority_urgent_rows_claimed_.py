"""outbox priority: urgent rows claimed before bulk

Revision ID: 3f46f871f0cd
Revises: 8a92d0c1365d
Create Date: 2026-11-30 15:18:02.682782
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3f46f871f0cd'
down_revision: str | None = '8a92d0c1365d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0 urgent (answers), 1 normal, 2 bulk (reminders, check-ins, campaigns): see
    # bot/outbox/models.py. Rows already queued get theirs from their flags. Plain ALTER
    # TABLE ADD COLUMN (no batch copy of the table): both databases do it in place.
    op.add_column('outbox', sa.Column('priority', sa.Integer(), server_default='1', nullable=False))
    op.execute(
        "UPDATE outbox SET priority = CASE WHEN urgent THEN 0 WHEN nudge THEN 2 ELSE 1 END"
    )
    op.drop_index('ix_outbox_status_due', table_name='outbox')
    op.create_index('ix_outbox_claim', 'outbox', ['status', 'priority', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_claim', table_name='outbox')
    op.create_index('ix_outbox_status_due', 'outbox', ['status', 'due_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('priority')
