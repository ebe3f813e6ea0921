"""campaigns: spec, deliveries per occurrence, milestone tags, outbox nudges

Revision ID: b52f9fd90cc8
Revises: 57674efbdbb3
Create Date: 2026-11-30 12:41:10.319172
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.database

revision: str = 'b52f9fd90cc8'
down_revision: str | None = '57674efbdbb3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing could create campaigns before this revision; rows left by hand have no spec.
    op.execute("DELETE FROM campaign_delivery")
    op.execute("DELETE FROM campaign")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spec', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('started_at', bot.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('planned_until', bot.database.UTCDateTime(), nullable=True))
        batch_op.drop_column('body')
        batch_op.drop_column('send_until')
        batch_op.drop_column('per_minute')
        batch_op.drop_column('send_from')
        batch_op.drop_column('audience')

    with op.batch_alter_table('campaign_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrence', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False))
        batch_op.add_column(sa.Column('arm', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('skip_reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
        batch_op.add_column(sa.Column('due_at', bot.database.UTCDateTime(), nullable=False))
        batch_op.add_column(sa.Column('sent_at', bot.database.UTCDateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_campaign_delivery_campaign_id_young_person_id'), type_='unique')
        batch_op.create_index('ix_campaign_delivery_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_delivery_young_person_id'), ['young_person_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_campaign_delivery_campaign_id_young_person_id_occurrence'), ['campaign_id', 'young_person_id', 'occurrence'])

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_milestone_tag'), ['tag'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nudge', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pace_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('pace_rate', sa.Float(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_delivery_id_campaign_delivery'), 'campaign_delivery', ['delivery_id'], ['id'])



def downgrade() -> None:
    op.execute("DELETE FROM campaign_delivery")
    op.execute("DELETE FROM campaign")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_delivery_id_campaign_delivery'), type_='foreignkey')
        batch_op.drop_column('pace_rate')
        batch_op.drop_column('pace_key')
        batch_op.drop_column('delivery_id')
        batch_op.drop_column('nudge')

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_tag'))
        batch_op.drop_column('tag')

    with op.batch_alter_table('campaign_delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_campaign_delivery_campaign_id_young_person_id_occurrence'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_campaign_delivery_young_person_id'))
        batch_op.drop_index('ix_campaign_delivery_status_due')
        batch_op.create_unique_constraint(batch_op.f('uq_campaign_delivery_campaign_id_young_person_id'), ['campaign_id', 'young_person_id'])
        batch_op.drop_column('sent_at')
        batch_op.drop_column('due_at')
        batch_op.drop_column('skip_reason')
        batch_op.drop_column('arm')
        batch_op.drop_column('occurrence')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('send_from', bot.database.UTCDateTime(), nullable=False))
        batch_op.add_column(sa.Column('per_minute', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('send_until', bot.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('body', sa.String(), nullable=False))
        batch_op.drop_column('planned_until')
        batch_op.drop_column('started_at')
        batch_op.drop_column('spec')

