"""The sweep that turns due reminders into outbox rows, exactly once.

A batch is claimed by locking its rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write
transaction), so two sweeps never take the same reminder; the young people's conversations
are locked without waiting, and a busy one's reminders stay pending for the next round. The
batch is then read, decided, said and written set-wise (`due`, `saying`, `writing`): a few
queries and bulk statements per batch rather than per reminder, as a sweep may carry 100,000
reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.engine import Engine
from bot.database import Database, among
from bot.reminders.due import Batch, Due
from bot.reminders.models import Reminder
from bot.reminders.planning import FAILED, PENDING, SENT
from bot.reminders.saying import say_all
from bot.reminders.writing import Sending, write
from bot.settings import get_settings


@dataclass
class SweepResult:
    """What one sweep did, by outcome."""

    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, count: int = 1) -> None:
        """Count reminders with this outcome."""
        if count:
            self.outcomes[status] = self.outcomes.get(status, 0) + count

    @property
    def sent(self) -> int:
        """Reminders that became outbox rows."""
        return self.outcomes.get(SENT, 0)


async def sweep_due(
    db: Database,
    engine: Engine,
    now: datetime,
    *,
    batch: int | None = None,
    on_sent: Callable[[], None] | None = None,
) -> SweepResult:
    """Turn every due reminder into an outbox row; safe to run twice and side by side."""
    size = batch or get_settings().reminder.batch
    total = SweepResult()
    while True:
        async with db.session() as session:
            result = await sweep_batch(session, engine, now=now, limit=size)
        total.claimed += result.claimed
        for status, count in result.outcomes.items():
            total.add(status, count)
        if result.sent and on_sent is not None:
            on_sent()
        if result.claimed < size:
            return total


async def claim(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due reminders for this transaction, in due order.

    On PostgreSQL they are locked (FOR UPDATE SKIP LOCKED), so a parallel sweep takes
    others; on SQLite this transaction holds the database's write lock (BEGIN IMMEDIATE).
    They stay pending until the batch writes their outcome in the same transaction: no
    interim status to write and write again, and nothing to put back if it rolls back.
    """
    due = (
        select(col(Reminder.id))
        .where(Reminder.status == PENDING, Reminder.due_at <= now)
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [int(rid) for rid in (await session.exec(due)).all() if rid is not None]


async def sweep_batch(
    session: AsyncSession, engine: Engine, *, now: datetime, limit: int
) -> SweepResult:
    """Claim one batch and write its outbox rows in the caller's transaction."""
    result = SweepResult()
    ids = await claim(session, now=now, limit=limit)
    if not ids:
        return result
    batch = await Batch.load(session, ids)
    result.claimed = len(batch.reminders)  # less those whose young person was busy
    settled: dict[str, list[int]] = {}
    dues: list[Due] = []
    for reminder in batch.reminders:
        outcome = batch.decide(reminder, now)
        if isinstance(outcome, Due):
            dues.append(outcome)
        else:
            settled.setdefault(outcome, []).append(reminder.id)
    said = await say_all(session, engine, batch, dues, now)
    sending = [Sending(due, said[due.reminder.id]) for due in dues if due.reminder.id in said]
    written = await write(session, engine, sending, batch.states, now)
    result.add(SENT, len(written))
    done = {one.due.reminder.id for one in written}
    unsaid = [due.reminder.id for due in dues if due.reminder.id not in done]
    settled.setdefault(FAILED, []).extend(unsaid)
    for status, status_ids in settled.items():
        if status_ids:
            await session.exec(
                update(Reminder)
                .where(among(session, col(Reminder.id), status_ids))
                .values(status=status)
            )
        result.add(status, len(status_ids))
    return result
