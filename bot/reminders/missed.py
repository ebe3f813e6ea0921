"""A meeting nobody marked held: "Vi savnede dig" the next day at 10:00 local, exactly once.

A periodic job (bot/reminders/scheduled.py) looks at meetings of the last few days still
'planned' or 'confirmed'. When the follow-up time (INDGANG_REMINDER_APPOINTMENT_MISSED,
'+1d@10:00', moved past quiet hours) has come, the meeting is marked 'missed' with
`missed_notice_at` in one conditional update (so never twice, whoever runs the job), the plan's
history says so and the contact person's meeting list shows it; and the young person is asked,
through `Engine.start` on `reminder.missed`, whether to find a new time. A follow-up a whole
day late is not sent ("i går" would be wrong), but the contact person still sees the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.outbox import service as outbox
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, Plan
from bot.reminders.offsets import parse_offset
from bot.reminders.planning import LIVE_APPOINTMENT
from bot.settings import get_settings

log = structlog.get_logger(__name__)
MISSED_STEP = "reminder.missed"
# Meetings further back than this are not looked at again.
LOOK_BACK = timedelta(days=3)
# A follow-up not sent within this long after its time is not sent (the list still shows it).
TOO_LATE = timedelta(hours=12)


@dataclass
class MissedResult:
    """What one run did."""

    flagged: int = 0
    told: int = 0


def follow_up_at(appointment: Appointment, municipality: Municipality, key: str) -> datetime:
    """When "Vi savnede dig" is due: `key` ('+1d@10:00') from the meeting's local day,
    past the municipality's quiet hours."""
    zone = ZoneInfo(municipality.timezone)
    raw = parse_offset(key).on_day(appointment.starts_at.astimezone(zone).date(), zone)
    return outbox.after_quiet_hours(raw, municipality)


async def sweep_missed(db: Database, engine: Engine, now: datetime) -> MissedResult:
    """Flag and follow up every meeting whose follow-up time has come; safe to run twice."""
    key = get_settings().reminder.appointment_missed
    result = MissedResult()
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Appointment, Municipality)
                .join(Plan, col(Plan.id) == Appointment.plan_id)
                .join(YoungPerson, col(YoungPerson.id) == Plan.young_person_id)
                .join(Municipality, col(Municipality.id) == YoungPerson.municipality_id)
                .where(
                    col(Appointment.status).in_(LIVE_APPOINTMENT),
                    col(Appointment.missed_notice_at).is_(None),
                    Appointment.starts_at < now,
                    Appointment.starts_at >= now - LOOK_BACK,
                )
                .order_by(col(Appointment.starts_at))
            )
        ).all()
        due = [(a.id or 0, follow_up_at(a, town, key)) for a, town in rows]
    for appointment_id, at in due:
        if at > now:
            continue
        async with db.session() as session:
            told = await follow_up_one(
                session, engine, appointment_id, now, send=now - at < TOO_LATE
            )
        if told is not None:
            result.flagged += 1
            result.told += told
    return result


async def follow_up_one(
    session: AsyncSession, engine: Engine, appointment_id: int, now: datetime, *, send: bool
) -> bool | None:
    """Flag one meeting missed and, if `send`, ask the young person; None if already done."""
    appointment = await session.get(Appointment, appointment_id)
    plan = await session.get(Plan, appointment.plan_id) if appointment is not None else None
    person = await session.get(YoungPerson, plan.young_person_id) if plan is not None else None
    if appointment is None or plan is None or person is None or person.id is None:
        return None
    # The conversation first, then the meeting: the order a young person's own turn takes.
    state = await locked_state(session, person.id)
    claimed = await session.exec(
        update(Appointment)
        .where(
            col(Appointment.id) == appointment_id,
            col(Appointment.missed_notice_at).is_(None),
            col(Appointment.status).in_(LIVE_APPOINTMENT),
        )
        .values(missed_notice_at=now, status="missed")
        .returning(col(Appointment.id))
    )
    if claimed.first() is None:
        return None
    await session.refresh(appointment)
    await changes.record(
        session,
        plan=plan,
        person=person,
        action="appointment.missed",
        detail=f"#{appointment.id} {appointment.starts_at.isoformat()} {appointment.place}",
        now=now,
    )
    log.info("meeting.missed", appointment_id=appointment_id, told=send)
    if not send or person.status not in ("active", "paused"):
        return False
    identity = await people.preferred_identity(session, person_id=person.id)
    municipality = await session.get(Municipality, person.municipality_id)
    if identity is None or municipality is None:
        return False
    if state is None:
        state = ConversationState(young_person_id=person.id, flow="menu", step="")
    session.add(state)
    turn = Turn.started(
        session, person=person, identity=identity, municipality=municipality, state=state, now=now
    )
    replies = await engine.start(turn, MISSED_STEP, data={"appointment_id": appointment_id})
    for reply in replies:
        await outbox.enqueue(
            session,
            identity=identity,
            text=reply.text,
            now=now,
            choices=reply.choices,
            due_at=outbox.after_quiet_hours(now, municipality),
            nudge=True,
        )
    return True
