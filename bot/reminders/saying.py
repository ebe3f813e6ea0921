"""What a batch's reminders say: each group of reminders that read alike is said once.

A reminder is said by `Engine.start` on its step (`reminder.appointment` or
`reminder.milestone`), so it offers the choices its answer is read against. Reminders alike
in step, language, municipality and what the step's view shows (`Due.alike`) read the same,
and where the engine confirms the step `says_alike` the group is said once, for its first
young person, on a copy of their conversation: every member then gets those messages and
moves to that step with their own data. A group that cannot be said is tried again target by
target, so one broken appointment holds back only its own reminders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.turn import Reply, Turn
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Milestone
from bot.reminders import conversation
from bot.reminders.due import Batch, Due

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Said:
    """The messages of a reminder, and the step the conversation waits at after them."""

    replies: list[Reply]
    flow: str
    step: str


async def say_all(
    session: AsyncSession, engine: Engine, batch: Batch, dues: list[Due], now: datetime
) -> dict[int, Said]:
    """What each reminder says, by reminder id; a reminder that could not be said (logged)
    is left out."""
    shared = {ref: engine.says_alike(ref) for ref in {due.ref for due in dues}}
    groups: dict[tuple[Any, ...], list[Due]] = {}
    for due in dues:
        key = due.alike if shared[due.ref] else (due.reminder.id,)
        groups.setdefault(key, []).append(due)
    await _read_speakers(session, [group[0] for group in groups.values()])
    said: dict[int, Said] = {}
    for group in groups.values():
        try:
            words = await _say(session, engine, batch, group[0], now)
        except Exception:
            await _say_each_target(session, engine, batch, group, now, said)
            continue
        for due in group:
            said[due.reminder.id] = words
    return said


async def _say_each_target(
    session: AsyncSession,
    engine: Engine,
    batch: Batch,
    group: list[Due],
    now: datetime,
    said: dict[int, Said],
) -> None:
    by_target: dict[tuple[str, int], list[Due]] = {}
    for due in group:
        by_target.setdefault((due.reminder.kind, due.reminder.target_id), []).append(due)
    for members in by_target.values():
        try:
            words = await _say(session, engine, batch, members[0], now)
        except Exception:
            # One broken row must not hold back the others; it is kept, marked failed.
            for due in members:
                log.exception("reminder.failed", reminder_id=due.reminder.id)
            continue
        for due in members:
            said[due.reminder.id] = words


async def _say(
    session: AsyncSession, engine: Engine, batch: Batch, due: Due, now: datetime
) -> Said:
    """Start the turn for this reminder's young person, on a copy of their conversation."""
    person = await session.get(YoungPerson, due.person_id)
    identity = await session.get(ChannelIdentity, due.identity.id)
    if person is None or identity is None:
        raise RuntimeError("the young person or their channel went away")
    if due.ref == conversation.APPOINTMENT_STEP:
        appointment = await session.get(Appointment, due.reminder.target_id)
        if appointment is not None:
            conversation.preload(session, {(due.person_id, due.reminder.target_id): appointment})
    row = batch.states.get(due.person_id)
    state = ConversationState(young_person_id=due.person_id, flow="onboarding", step="")
    if row is not None:
        state.flow, state.step, state.data, state.misses = (
            row.flow,
            row.step,
            dict(row.data),
            row.misses,
        )
    turn = Turn.started(
        session,
        person=person,
        identity=identity,
        municipality=batch.municipalities[person.municipality_id],
        state=state,
        now=now,
    )
    replies = await engine.start(turn, due.ref, data=due.data)
    if not replies:
        raise RuntimeError(f"{due.ref} said nothing")
    return Said(replies, state.flow, state.step)


async def _read_speakers(session: AsyncSession, speakers: Iterable[Due]) -> None:
    """Load what the turns of these reminders read, in one query per kind: `session.get`
    then finds each in the session without asking the database."""
    firsts = list(speakers)
    wanted: list[tuple[Any, set[int]]] = [
        (YoungPerson, {due.person_id for due in firsts}),
        (ChannelIdentity, {due.identity.id for due in firsts}),
        (
            Appointment,
            {d.reminder.target_id for d in firsts if d.ref == conversation.APPOINTMENT_STEP},
        ),
        (Milestone, {d.reminder.target_id for d in firsts if d.ref == conversation.MILESTONE_STEP}),
    ]
    for model, ids in wanted:
        if ids:
            (await session.exec(select(model).where(col(model.id).in_(ids)))).all()
