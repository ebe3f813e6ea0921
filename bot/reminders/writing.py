"""Writing a batch's said reminders: message and outbox rows, the reminders' new status,
overdue flags, and each young person's conversation moved to their last reminder's step.

All in bulk statements in the sweep's transaction; if the batch cannot be written, each
reminder is tried on its own, so one refused row fails only its own reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import insert, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.engine import Engine
from bot.conversation.state import StateRow, save_rows
from bot.database import among, update_each
from bot.outbox.service import Outgoing, enqueue_many
from bot.plans.models import Milestone, PlanEvent
from bot.reminders.due import Due
from bot.reminders.models import Reminder
from bot.reminders.planning import MILESTONE_OVERDUE, SENT
from bot.reminders.saying import Said

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Sending:
    """A reminder, and what it says."""

    due: Due
    said: Said


async def write(
    session: AsyncSession,
    engine: Engine,
    sending: list[Sending],
    states: dict[int, StateRow],
    now: datetime,
) -> list[Sending]:
    """Write what can be written; the reminders that were (the others are logged)."""
    if not sending:
        return []
    try:
        async with session.begin_nested():
            await _outbox(session, sending, now)
        written = sending
    except Exception:
        log.exception("reminder.batch_write_failed", size=len(sending))
        written = []
        for one in sending:
            try:
                async with session.begin_nested():
                    await _outbox(session, [one], now)
            except Exception:
                log.exception("reminder.failed", reminder_id=one.due.reminder.id)
            else:
                written.append(one)
    overdue = [one.due.reminder for one in written if one.due.reminder.kind == MILESTONE_OVERDUE]
    await _flag_overdue(session, [reminder.target_id for reminder in overdue], now)
    await save_rows(session, _moved(engine, written, states, now))
    return written


async def _outbox(session: AsyncSession, sending: list[Sending], now: datetime) -> None:
    """The messages and outbox rows, and each reminder sent with its first message."""
    outgoing = [
        Outgoing(one.due.identity, reply.text, one.due.send_at, reply.choices)
        for one in sending
        for reply in one.said.replies
    ]
    message_ids = iter(await enqueue_many(session, outgoing, now=now))
    firsts = []
    for one in sending:
        ids = [next(message_ids) for _ in one.said.replies]
        firsts.append({"id": one.due.reminder.id, "message_id": ids[0]})
    await update_each(session, Reminder, firsts, status=SENT)


def _moved(
    engine: Engine, written: list[Sending], states: dict[int, StateRow], now: datetime
) -> list[StateRow]:
    """Each young person's conversation after their reminders, in order: it waits at the
    last one's step, holding every one's data (an answer is read against the last)."""
    moved: dict[int, StateRow] = {}
    for one in sorted(written, key=lambda s: s.due.reminder.id):
        person_id = one.due.person_id
        state = states.get(person_id)
        if state is None:
            # No conversation yet: as the first message would find it.
            state = states[person_id] = StateRow(person_id, "onboarding", "", {}, 0, now, True)
        engine.restart(state, one.due.data, now)
        state.flow, state.step = one.said.flow, one.said.step
        moved[person_id] = state
    return list(moved.values())


async def _flag_overdue(session: AsyncSession, milestone_ids: list[int], now: datetime) -> None:
    """Flag milestones whose overdue follow-up went out, once, in the plan's history too."""
    if not milestone_ids:
        return
    connection = await session.connection()
    flagged = await connection.execute(
        update(Milestone)
        .where(
            among(session, col(Milestone.id), sorted(set(milestone_ids))),
            col(Milestone.overdue_flagged_at).is_(None),
        )
        .values(overdue_flagged_at=now)
        .returning(col(Milestone.plan_id), col(Milestone.title))
    )
    events = [
        {
            "plan_id": plan_id,
            "actor": "system",
            "action": "milestone.overdue",
            "detail": title[:300],
            "at": now,
        }
        for plan_id, title in flagged.all()
    ]
    if events:
        await connection.execute(insert(PlanEvent), events)
