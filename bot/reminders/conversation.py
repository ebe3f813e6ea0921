"""Reminders in the conversation: what they say, and the answer 'Jeg kommer'.

The sweep starts a young person on `reminder.appointment` or `reminder.milestone` through
`Engine.start`; the views below say the reminder, and the same step reads the answer.
Moving a meeting ('Jeg kan ikke komme', a free time, "Vi savnede dig") is in moving.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.conversation.turn import Option
from bot.handoff import service as handoffs
from bot.plans import changes
from bot.plans.models import Appointment, Milestone
from bot.reminders import wording
from bot.reminders.planning import LIVE_APPOINTMENT
from bot.staff.models import StaffMember
from channels.base import Choice

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.conversation.turn import Turn

plugin = ConversationPlugin("reminders")
APPOINTMENT_STEP = "reminder.appointment"
MILESTONE_STEP = "reminder.milestone"
_APPOINTMENTS = "indgang.reminder_appointments"


def preload(session: AsyncSession, appointments: Mapping[tuple[int, int], Appointment]) -> None:
    """Appointments a sweep already read, by (young person, appointment) id: a sweep starts
    thousands of turns in one session, and the view then asks the database nothing."""
    session.info[_APPOINTMENTS] = appointments


async def contact_name(turn: Turn) -> str:
    """The contact person's first name ('Mette'), or 'din kontaktperson'."""
    staff_id = turn.person.contact_person_id
    # The same staff member for a whole sweep: `get` asks the database once per session.
    staff = await turn.session.get(StaffMember, staff_id) if staff_id is not None else None
    if staff is None or not staff.active:
        return system_text("your_contact_person", turn.lang)
    return handoffs.first_name(staff)


async def who(turn: Turn, appointment: Appointment) -> str:
    """Whom the meeting is with: as staff wrote it, else the contact person."""
    return appointment.with_whom or await contact_name(turn)


async def current_appointment(turn: Turn) -> Appointment | None:
    """The meeting the conversation is about (`appointment_id`), if it is still theirs."""
    return await _appointment(turn)


async def _appointment(turn: Turn) -> Appointment | None:
    value = turn.state.data.get("appointment_id")
    if not value:
        return None
    preloaded = turn.session.info.get(_APPOINTMENTS, {}).get((turn.person.id, int(value)))
    if preloaded is not None:
        return preloaded  # type: ignore[no-any-return]
    try:
        _plan, appointment = await changes.appointment_of(
            turn.session, person=turn.person, appointment_id=int(value)
        )
    except changes.NotFound:
        return None
    return appointment


@plugin.view("appointment_reminder")
async def show_appointment_reminder(turn: Turn) -> str:
    """The reminder's text again: when and where."""
    appointment = await _appointment(turn)
    if appointment is None:
        return system_text("reminder_gone", turn.lang)
    return wording.appointment_text(
        appointment,
        who=await who(turn, appointment),
        language=turn.lang,
        timezone=turn.municipality.timezone,
    )


@plugin.choice_source("appointment_answers")
async def appointment_answers(turn: Turn) -> list[Option]:
    """'1 Jeg kommer 2 Jeg kan ikke komme 3 Skriv med Mette', for a meeting still to come."""
    appointment = await _appointment(turn)
    if appointment is None or appointment.status not in LIVE_APPOINTMENT:
        return []
    name = await contact_name(turn)
    return [
        Option(Choice("coming", system_text("answer_coming", turn.lang)), goto="reminder.coming"),
        Option(
            Choice("cant_come", system_text("answer_cant_come", turn.lang)),
            goto="reminder.cant_come",
        ),
        Option(
            Choice("contact", capitalised(system_text("answer_write", turn.lang, contact=name))),
            goto="contact.open",
        ),
    ]


def capitalised(text: str) -> str:
    """'Din kontaktperson …' where a name may stand first."""
    return text[:1].upper() + text[1:]


@plugin.view("milestone_reminder")
async def show_milestone_reminder(turn: Turn) -> str:
    """Before a milestone is due, or a gentle question when it is overdue."""
    value = turn.state.data.get("milestone_id")
    # The sweep read the milestone in this session: `get` finds it without a query.
    milestone = await turn.session.get(Milestone, int(value)) if value else None
    if milestone is None:
        return system_text("milestone_not_found", turn.lang)
    overdue = bool(turn.state.data.get("milestone_overdue"))
    return wording.milestone_text(milestone, overdue=overdue, language=turn.lang)


@plugin.action("appointment_confirm")
async def confirm(turn: Turn, _argument: str) -> None:
    """'Jeg kommer': the appointment is confirmed, and the plan's history says so."""
    appointment = await _appointment(turn)
    if appointment is None or appointment.id is None:
        return
    if appointment.status == "planned":
        await _set_status(turn, appointment.id, "confirmed")


@plugin.action("handoff_appointment")
async def ask_for_other_time(turn: Turn, reason: str) -> None:
    """'Jeg har brug for en anden tid': a handoff with the appointment attached."""
    appointment = await _appointment(turn)
    detail = ""
    if appointment is not None and appointment.id is not None:
        detail = wording.meeting_text(
            appointment,
            who=await who(turn, appointment),
            language="da",
            timezone=turn.municipality.timezone,
        )
        if appointment.status not in ("cancelled", "done", "reschedule_requested"):
            await _set_status(turn, appointment.id, "reschedule_requested")
    await handoffs.open_handoff(
        turn.session,
        person=turn.person,
        reason=reason or "reschedule",
        detail=detail,
        appointment_id=appointment.id if appointment else None,
    )


async def _set_status(turn: Turn, appointment_id: int, status: str) -> None:
    """The young person changed the appointment's status; the plan's history says so."""
    await changes.update_appointment(
        turn.session,
        person=turn.person,
        appointment_id=appointment_id,
        now=turn.now,
        actor="young_person",
        status=status,
    )
