"""Reminders in the conversation: what they say, and the answers 'Jeg kommer' or 'Jeg har
brug for en anden tid'.

The sweep starts a young person on `reminder.appointment` or `reminder.milestone` through
`Engine.start`; the views below say the reminder, and the same step reads the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.handoff import service as handoffs
from bot.plans import changes
from bot.plans.models import Appointment, Milestone
from bot.reminders import wording

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
        appointment, language=turn.lang, timezone=turn.municipality.timezone
    )


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
        detail = wording.appointment_text(
            appointment, language="da", timezone=turn.municipality.timezone
        )
        if appointment.status in ("planned", "confirmed"):
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
