"""LISTEN/NOTIFY triggers: outbox inserts wake dispatchers, message and handoff changes refresh the inbox (PostgreSQL)

Revision ID: 8081265f61aa
Revises: c4e1a7d2b9f0
Create Date: 2026-11-30 18:37:13.930626
"""

from collections.abc import Sequence

from alembic import op

revision: str = '8081265f61aa'
down_revision: str | None = 'c4e1a7d2b9f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, events, channel): one notification per statement, delivered when it commits
# (bot/signals.py). PostgreSQL folds identical notifications of one transaction into one.
TRIGGERS = (
    ("outbox", "INSERT", "indgang_outbox"),
    ("message", "INSERT OR UPDATE", "indgang_inbox"),
    ("handoff", "INSERT OR UPDATE OR DELETE", "indgang_inbox"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no notifications: its processes poll
    op.execute(
        """
        CREATE FUNCTION indgang_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_ARGV[0], '');
            RETURN NULL;
        END
        $$
        """
    )
    for table, events, channel in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER {events} ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION indgang_notify('{channel}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS indgang_notify()")
