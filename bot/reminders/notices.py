"""Staff booked, moved or cancelled a meeting: the young person gets exactly one message.

It says what changed (the time and place), never the plan's text or chat content, and is
said by the step `reminder.changed` through `Engine.start` (so it offers 'Jeg kommer' for a
meeting still on, and the menu), in the caller's transaction, deferred past quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState, Message
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.municipalities.models import Municipality
from bot.outbox import service as outbox
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment
from bot.reminders.planning import LIVE_APPOINTMENT
from bot.staff.models import StaffMember

if TYPE_CHECKING:
    from bot.conversation.engine import Engine

log = structlog.get_logger(__name__)
CHANGED_STEP = "reminder.changed"
# Conversation data: what the staff member did ('added', 'moved', 'cancelled').
CHANGE = "meeting_change"
ADDED, MOVED, CANCELLED = "added", "moved", "cancelled"


@dataclass(frozen=True)
class Before:
    """What the young person was last told of a meeting: time, place, whether it is on."""

    starts_at: datetime
    place: str
    live: bool

    @classmethod
    def of(cls, appointment: Appointment) -> Before:
        """The meeting as it is now, before a staff member changes it."""
        return cls(appointment.starts_at, appointment.place, appointment.status in LIVE_APPOINTMENT)


def change_of(before: Before | None, appointment: Appointment) -> str | None:
    """What to tell: a new meeting, a new time or place, a cancellation; None for nothing."""
    live = appointment.status in LIVE_APPOINTMENT
    if before is None:
        return ADDED if live else None
    if before.live and appointment.status == "cancelled":
        return CANCELLED
    if live and (before.starts_at, before.place) != (appointment.starts_at, appointment.place):
        return MOVED
    return None


async def tell(
    session: AsyncSession,
    *,
    person: YoungPerson,
    appointment: Appointment,
    before: Before | None,
    now: datetime,
    engine: Engine,
) -> Message | None:
    """One message to the young person about a staff member's change, if it changed anything
    they were told; None when nothing changed for them or nobody can be reached."""
    change = change_of(before, appointment)
    if change is None or person.status not in ("active", "paused") or appointment.starts_at < now:
        return None
    assert person.id is not None
    identity = await people.preferred_identity(session, person_id=person.id)
    municipality = await session.get(Municipality, person.municipality_id)
    if identity is None or municipality is None:
        log.info("meeting.notice_unreachable", appointment_id=appointment.id)
        return None
    state = await locked_state(session, person.id) or ConversationState(young_person_id=person.id)
    session.add(state)
    turn = Turn.started(
        session, person=person, identity=identity, municipality=municipality, state=state, now=now
    )
    replies = await engine.start(
        turn, CHANGED_STEP, data={"appointment_id": appointment.id or 0, CHANGE: change}
    )
    due = outbox.after_quiet_hours(now, municipality)
    sent = [
        await outbox.enqueue(
            session, identity=identity, text=r.text, now=now, choices=r.choices, due_at=due
        )
        for r in replies
    ]
    log.info("meeting.notice", appointment_id=appointment.id, change=change)
    return sent[0] if sent else None


async def staff_book(
    session: AsyncSession,
    *,
    person: YoungPerson,
    staff: StaffMember,
    engine: Engine,
    now: datetime,
    starts_at: datetime,
    place: str,
    with_whom: str = "",
    bring: str = "",
) -> Appointment:
    """A staff member books a meeting (inbox, API, CLI); the young person is told once."""
    appointment = await changes.add_appointment(
        session,
        person=person,
        starts_at=starts_at,
        place=place,
        with_whom=with_whom,
        bring=bring,
        now=now,
        staff=staff,
    )
    await tell(session, person=person, appointment=appointment, before=None, now=now, engine=engine)
    return appointment


async def staff_change(
    session: AsyncSession,
    *,
    person: YoungPerson,
    appointment_id: int,
    staff: StaffMember,
    engine: Engine,
    now: datetime,
    **fields: Any,
) -> Appointment:
    """A staff member moves, re-places or cancels a meeting (`changes.update_appointment`'s
    fields); the young person is told once when the time, place or its being on changed."""
    _plan, current = await changes.appointment_of(
        session, person=person, appointment_id=appointment_id
    )
    before = Before.of(current)
    appointment = await changes.update_appointment(
        session, person=person, appointment_id=appointment_id, now=now, staff=staff, **fields
    )
    await tell(
        session, person=person, appointment=appointment, before=before, now=now, engine=engine
    )
    return appointment
