"""one open handoff per young person (a partial unique index)

Revision ID: 8a92d0c1365d
Revises: b52f9fd90cc8
Create Date: 2026-11-30 15:26:33.548881
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8a92d0c1365d'
down_revision: str | None = 'b52f9fd90cc8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IS_OPEN = "status IN ('open', 'held')"


def upgrade() -> None:
    # Two open handoffs of one young person could exist before: the newest stays open (the
    # one the inbox and the engine already took for it), the older ones are closed.
    op.execute(
        f"""
        UPDATE handoff SET status = 'closed', closed_at = CURRENT_TIMESTAMP
        WHERE {IS_OPEN} AND id < (
            SELECT MAX(newer.id) FROM handoff AS newer
            WHERE newer.young_person_id = handoff.young_person_id
            AND newer.status IN ('open', 'held')
        )
        """
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(
            'uq_handoff_one_open',
            ['young_person_id'],
            unique=True,
            sqlite_where=sa.text(IS_OPEN),
            postgresql_where=sa.text(IS_OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index('uq_handoff_one_open')
