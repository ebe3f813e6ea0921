"""The sweep that turns due reminders into outbox rows, exactly once.

Each reminder is said by its flow step through `Engine.start` (`reminder.appointment` or
`reminder.milestone`), so it offers the choices its answer is read against; a batch is read
in a few queries and written with `enqueue_many`, as a sweep may carry 100,000 reminders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.state import take_states
from bot.conversation.turn import Turn
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.service import Outgoing, after_quiet_hours, enqueue_many
from bot.people.models import ChannelIdentity, YoungPerson
from bot.people.service import preferred_identities
from bot.plans.models import Appointment, Milestone, Plan, PlanEvent
from bot.reminders import conversation
from bot.reminders.models import Reminder
from bot.reminders.planning import (
    APPOINTMENT,
    CANCELLED,
    CLAIMED,
    DROPPED,
    FAILED,
    LIVE_APPOINTMENT,
    MILESTONE_OVERDUE,
    PENDING,
    SENT,
    SKIPPED,
)
from bot.settings import get_settings

log = structlog.get_logger(__name__)


@dataclass
class SweepResult:
    """What one sweep did, by outcome."""

    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        """Count one reminder's outcome."""
        self.outcomes[status] = self.outcomes.get(status, 0) + 1

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
            total.outcomes[status] = total.outcomes.get(status, 0) + count
        if result.sent and on_sent is not None:
            on_sent()
        if result.claimed < size:
            return total


async def claim(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    """Atomically take up to `limit` due reminders for this transaction."""
    due = (
        select(Reminder.id)
        .where(Reminder.status == PENDING, Reminder.due_at <= now)
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    return await claim_ids(
        session,
        Reminder,
        due=due,
        values={"status": CLAIMED},
        still=col(Reminder.status) == PENDING,
    )


# A conversation's flow, step, data, misses and time.
_Before = tuple[str, str, dict[str, Any], int, datetime]


@dataclass
class _Out:
    reminder: Reminder
    messages: list[Outgoing]
    state: ConversationState
    # The conversation as it was before this reminder, restored if its rows cannot be written.
    before: _Before


async def sweep_batch(
    session: AsyncSession, engine: Engine, *, now: datetime, limit: int
) -> SweepResult:
    """Claim one batch and write its outbox rows in the caller's transaction."""
    result = SweepResult()
    ids = await claim(session, now=now, limit=limit)
    result.claimed = len(ids)
    if not ids:
        return result
    ctx = await _Context.load(session, ids)
    result.claimed = len(ctx.reminders)  # less those whose young person was busy
    conversation.preload(
        session,
        {
            (r.young_person_id, r.target_id): ctx.appointments[r.target_id]
            for r in ctx.reminders
            if r.kind == APPOINTMENT and r.target_id in ctx.appointments
        },
    )
    outgoing: list[_Out] = []
    settled: dict[str, list[int]] = {}
    for reminder in ctx.reminders:
        try:
            status, out = await _decide(ctx, engine, reminder, now)
        except Exception:
            # One broken row must not hold back the others; it is kept, marked failed.
            log.exception("reminder.failed", reminder_id=reminder.id)
            status, out = FAILED, None
        if out is not None:
            outgoing.append(out)
        else:
            settled.setdefault(status, []).append(reminder.id or 0)
    try:
        async with session.begin_nested():
            await _write(session, outgoing, ctx, now)
    except Exception:
        log.exception("reminder.batch_write_failed", size=len(outgoing))
        failed: list[_Out] = []
        for out in outgoing:
            try:
                async with session.begin_nested():
                    await _write(session, [out], ctx, now)
            except Exception:
                log.exception("reminder.failed", reminder_id=out.reminder.id)
                settled.setdefault(FAILED, []).append(out.reminder.id or 0)
                failed.append(out)
            else:
                result.add(SENT)
        _unpoint(outgoing, failed)
    else:
        for _ in outgoing:
            result.add(SENT)
    for status, status_ids in settled.items():
        await session.exec(
            update(Reminder).where(col(Reminder.id).in_(status_ids)).values(status=status)
        )
        for _ in status_ids:
            result.add(status)
    return result


@dataclass
class _Context:
    session: AsyncSession
    reminders: list[Reminder]
    people: dict[int, YoungPerson]
    municipalities: dict[int, Municipality]
    identities: dict[int, ChannelIdentity]
    appointments: dict[int, Appointment]
    milestones: dict[int, Milestone]
    states: dict[int, ConversationState]

    @classmethod
    async def load(cls, session: AsyncSession, ids: list[int]) -> _Context:
        # Load what a whole batch needs in a few queries: a sweep may hold 100,000 rows.
        reminders = list(
            (
                await session.exec(
                    select(Reminder).where(col(Reminder.id).in_(ids)).order_by(col(Reminder.id))
                )
            ).all()
        )
        person_ids = {r.young_person_id for r in reminders}
        taken = await take_states(session, person_ids)
        if taken.busy:
            # Someone is changing these conversations right now: their reminders wait a round.
            waiting = [r.id for r in reminders if r.young_person_id in taken.busy]
            await session.exec(
                update(Reminder).where(col(Reminder.id).in_(waiting)).values(status=PENDING)
            )
            reminders = [r for r in reminders if r.young_person_id not in taken.busy]
        people = await _by_id(session, YoungPerson, person_ids)
        municipalities = await _by_id(
            session, Municipality, {p.municipality_id for p in people.values()}
        )
        appointment_ids = {r.target_id for r in reminders if r.kind == APPOINTMENT}
        milestone_ids = {r.target_id for r in reminders if r.kind != APPOINTMENT}
        return cls(
            session,
            reminders,
            people,
            municipalities,
            await preferred_identities(session, person_ids),
            await _by_id(session, Appointment, appointment_ids),
            await _by_id(session, Milestone, milestone_ids),
            taken.states,
        )


async def _by_id(session: AsyncSession, model: Any, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = (await session.exec(select(model).where(col(model.id).in_(wanted)))).all()
    return {row.id: row for row in rows}


async def _decide(
    ctx: _Context, engine: Engine, reminder: Reminder, now: datetime
) -> tuple[str, _Out | None]:
    person = ctx.people.get(reminder.young_person_id)
    if person is None or person.status not in ("active", "paused"):
        return SKIPPED, None
    municipality = ctx.municipalities[person.municipality_id]
    identity = ctx.identities.get(reminder.young_person_id)
    if identity is None:
        log.info("reminder.unreachable", reminder_id=reminder.id)
        return SKIPPED, None
    send_at = after_quiet_hours(now, municipality)
    if reminder.kind == APPOINTMENT:
        appointment = ctx.appointments.get(reminder.target_id)
        if appointment is None or appointment.status not in LIVE_APPOINTMENT:
            return CANCELLED, None
        if send_at >= appointment.starts_at:
            log.info(
                "reminder.dropped_too_late", reminder_id=reminder.id, offset=reminder.offset_key
            )
            return DROPPED, None
        ref = conversation.APPOINTMENT_STEP
        data: dict[str, Any] = {"appointment_id": appointment.id or 0}
    else:
        milestone = ctx.milestones.get(reminder.target_id)
        if milestone is None or milestone.status != "open":
            return CANCELLED, None
        ref = conversation.MILESTONE_STEP
        overdue = reminder.kind == MILESTONE_OVERDUE
        data = {"milestone_id": milestone.id or 0, "milestone_overdue": overdue}
    # The reminder is said by its step, which then reads the answer ("Jeg kommer").
    # No conversation yet: as the first message would find it, should this one be undone.
    person_id = reminder.young_person_id
    state = ctx.states.get(person_id) or ConversationState(
        young_person_id=person_id, flow="onboarding", step=""
    )
    before = (state.flow, state.step, state.data, state.misses, state.updated_at)
    turn = Turn.started(
        ctx.session,
        person=person,
        identity=identity,
        municipality=municipality,
        state=state,
        now=now,
    )
    try:
        replies = await engine.start(turn, ref, data=data)
        if not replies:
            raise RuntimeError(f"{ref} said nothing")
    except Exception:
        _restore(state, before)
        raise
    if person_id not in ctx.states:
        ctx.states[person_id] = state
        ctx.session.add(state)
    messages = [Outgoing(identity, reply.text, send_at, reply.choices) for reply in replies]
    return SENT, _Out(reminder, messages, state, before)


def _restore(state: ConversationState, before: _Before) -> None:
    state.flow, state.step, state.data, state.misses, state.updated_at = before


def _unpoint(outgoing: list[_Out], failed: list[_Out]) -> None:
    """Each young person's conversation as after their last reminder that was written."""
    if not failed:
        return
    lost = {id(out) for out in failed}
    written_later: set[int] = set()
    for out in reversed(outgoing):
        person_id = out.reminder.young_person_id
        if id(out) not in lost:
            written_later.add(person_id)
        elif person_id not in written_later:
            _restore(out.state, out.before)


async def _write(session: AsyncSession, outgoing: list[_Out], ctx: _Context, now: datetime) -> None:
    if not outgoing:
        return
    message_ids = iter(
        await enqueue_many(session, [m for out in outgoing for m in out.messages], now=now)
    )
    first_ids = []
    for out in outgoing:
        ids = [next(message_ids) for _ in out.messages]
        first_ids.append(ids[0])
    raw = await session.connection()
    await raw.execute(
        update(Reminder)
        .where(col(Reminder.id) == bindparam("rid"))
        .values(status=SENT, message_id=bindparam("mid")),
        [
            {"rid": out.reminder.id, "mid": message_id}
            for out, message_id in zip(outgoing, first_ids, strict=True)
        ],
    )
    for out in outgoing:
        if out.reminder.kind == MILESTONE_OVERDUE:
            await _flag_overdue(session, ctx.milestones[out.reminder.target_id], now)
    await session.flush()


async def _flag_overdue(session: AsyncSession, milestone: Milestone, now: datetime) -> None:
    if milestone.overdue_flagged_at is not None:
        return
    milestone.overdue_flagged_at = now
    session.add(milestone)
    plan = await session.get(Plan, milestone.plan_id)
    if plan is not None:
        session.add(
            PlanEvent(
                plan_id=milestone.plan_id,
                actor="system",
                action="milestone.overdue",
                detail=milestone.title[:300],
                at=now,
            )
        )
