"""meetings: bring, missed notice, free slots, reminder offsets per municipality

Revision ID: 075c22b428e5
Revises: bb1e927c5487
Create Date: 2026-12-01 00:39:17.072701
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.database


revision: str = '075c22b428e5'
down_revision: str | None = 'bb1e927c5487'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('free_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bot.database.UTCDateTime(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('taken_at', bot.database.UTCDateTime(), nullable=True),
    sa.Column('created_at', bot.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_free_slot_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_free_slot_staff_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_free_slot'))
    )
    with op.batch_alter_table('free_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_free_slot_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_free_slot_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_free_slot_starts_at'), ['starts_at'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bring', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('missed_notice_at', bot.database.UTCDateTime(), nullable=True))

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_reminders', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_column('appointment_reminders')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('missed_notice_at')
        batch_op.drop_column('bring')

    with op.batch_alter_table('free_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_free_slot_starts_at'))
        batch_op.drop_index(batch_op.f('ix_free_slot_staff_id'))
        batch_op.drop_index(batch_op.f('ix_free_slot_appointment_id'))

    op.drop_table('free_slot')
