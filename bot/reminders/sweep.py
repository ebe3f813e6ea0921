"""The sweep that turns due reminders into outbox rows, exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState
from bot.database import Database, claim_ids
from bot.municipalities.models import Municipality
from bot.outbox.service import Outgoing, after_quiet_hours, enqueue_many
from bot.people.models import ChannelIdentity, YoungPerson
from bot.people.service import preferred_identities
from bot.plans.models import Appointment, Milestone, Plan, PlanEvent
from bot.reminders import wording
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
from channels.base import Choice

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
            result = await sweep_batch(session, now=now, limit=size)
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


@dataclass
class _Out:
    reminder: Reminder
    identity: ChannelIdentity
    text: str
    choices: tuple[Choice, ...]
    due_at: datetime
    step: str
    data: dict[str, int]


async def sweep_batch(session: AsyncSession, *, now: datetime, limit: int) -> SweepResult:
    """Claim one batch and write its outbox rows in the caller's transaction."""
    result = SweepResult()
    ids = await claim(session, now=now, limit=limit)
    result.claimed = len(ids)
    if not ids:
        return result
    ctx = await _Context.load(session, ids)
    outgoing: list[_Out] = []
    settled: dict[str, list[int]] = {}
    for reminder in ctx.reminders:
        try:
            status, out = _decide(ctx, reminder, now)
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
        for out in outgoing:
            try:
                async with session.begin_nested():
                    await _write(session, [out], ctx, now)
            except Exception:
                log.exception("reminder.failed", reminder_id=out.reminder.id)
                settled.setdefault(FAILED, []).append(out.reminder.id or 0)
            else:
                result.add(SENT)
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
        people = await _by_id(session, YoungPerson, person_ids)
        municipalities = await _by_id(
            session, Municipality, {p.municipality_id for p in people.values()}
        )
        appointment_ids = {r.target_id for r in reminders if r.kind == APPOINTMENT}
        milestone_ids = {r.target_id for r in reminders if r.kind != APPOINTMENT}
        states = {
            s.young_person_id: s
            for s in (
                await session.exec(
                    select(ConversationState).where(
                        col(ConversationState.young_person_id).in_(person_ids)
                    )
                )
            ).all()
        }
        return cls(
            reminders,
            people,
            municipalities,
            await preferred_identities(session, person_ids),
            await _by_id(session, Appointment, appointment_ids),
            await _by_id(session, Milestone, milestone_ids),
            states,
        )


async def _by_id(session: AsyncSession, model: Any, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = (await session.exec(select(model).where(col(model.id).in_(wanted)))).all()
    return {row.id: row for row in rows}


def _decide(ctx: _Context, reminder: Reminder, now: datetime) -> tuple[str, _Out | None]:
    person = ctx.people.get(reminder.young_person_id)
    if person is None or person.status not in ("active", "paused"):
        return SKIPPED, None
    municipality = ctx.municipalities[person.municipality_id]
    identity = ctx.identities.get(reminder.young_person_id)
    if identity is None:
        log.info("reminder.unreachable", reminder_id=reminder.id)
        return SKIPPED, None
    send_at = after_quiet_hours(now, municipality)
    language = person.language
    if reminder.kind == APPOINTMENT:
        appointment = ctx.appointments.get(reminder.target_id)
        if appointment is None or appointment.status not in LIVE_APPOINTMENT:
            return CANCELLED, None
        if send_at >= appointment.starts_at:
            log.info(
                "reminder.dropped_too_late", reminder_id=reminder.id, offset=reminder.offset_key
            )
            return DROPPED, None
        text = wording.appointment_text(
            appointment, language=language, timezone=municipality.timezone
        )
        return SENT, _Out(
            reminder,
            identity,
            text,
            wording.step_choices(wording.APPOINTMENT_STEP, language),
            send_at,
            wording.APPOINTMENT_STEP,
            {"appointment_id": appointment.id or 0},
        )
    milestone = ctx.milestones.get(reminder.target_id)
    if milestone is None or milestone.status != "open":
        return CANCELLED, None
    overdue = reminder.kind == MILESTONE_OVERDUE
    text = wording.milestone_text(milestone, overdue=overdue, language=language)
    return SENT, _Out(
        reminder,
        identity,
        text,
        wording.step_choices(wording.MILESTONE_STEP, language),
        send_at,
        wording.MILESTONE_STEP,
        {"milestone_id": milestone.id or 0},
    )


async def _write(session: AsyncSession, outgoing: list[_Out], ctx: _Context, now: datetime) -> None:
    if not outgoing:
        return
    message_ids = await enqueue_many(
        session,
        [Outgoing(out.identity, out.text, out.due_at, out.choices) for out in outgoing],
        now=now,
    )
    raw = await session.connection()
    await raw.execute(
        update(Reminder)
        .where(col(Reminder.id) == bindparam("rid"))
        .values(status=SENT, message_id=bindparam("mid")),
        [
            {"rid": out.reminder.id, "mid": message_id}
            for out, message_id in zip(outgoing, message_ids, strict=True)
        ],
    )
    for out in outgoing:
        _point_conversation(session, ctx, out, now)
        if out.reminder.kind == MILESTONE_OVERDUE:
            await _flag_overdue(session, ctx.milestones[out.reminder.target_id], now)
    await session.flush()


def _point_conversation(session: AsyncSession, ctx: _Context, out: _Out, now: datetime) -> None:
    # The answer to the reminder ("Jeg kommer") is read against the reminder's step.
    person_id = out.reminder.young_person_id
    state = ctx.states.get(person_id)
    if state is None:
        state = ConversationState(young_person_id=person_id)
        ctx.states[person_id] = state
    state.flow, _, state.step = out.step.partition(".")
    state.data = {**state.data, **out.data}
    state.misses = 0
    state.updated_at = now
    session.add(state)


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
