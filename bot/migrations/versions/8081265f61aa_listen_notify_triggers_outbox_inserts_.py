"""LISTEN/NOTIFY triggers: outbox inserts wake dispatchers, message and handoff changes refresh the inbox (PostgreSQL)

Revision ID: 8081265f61aa
Revises: c4e1a7d2b9f0
Create Date: 2026-11-30 18:37:13.930626
"""

from collections.abc import Sequence

from alembic import op

from bot.signals import TRIGGERS, trigger_statements

revision: str = '8081265f61aa'
down_revision: str | None = 'c4e1a7d2b9f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no notifications: its processes poll
    for statement in trigger_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS indgang_notify()")
