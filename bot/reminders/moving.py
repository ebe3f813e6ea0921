"""Moving a meeting from the chat: 'Jeg kan ikke komme', why, a free time or a human.

Reached from a meeting reminder (`reminder.cant_come`) and from "Vi savnede dig"
(`reminder.missed`, bot/reminders/missed.py). The contact person's published free times
(bot/plans/slots.py) are offered, at most three; taking one moves the meeting. With none
free, or when the young person asks, the contact person finds a new time (a handoff,
reason 'move_meeting').
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.conversation.turn import Option
from bot.handoff.conversation import handoff_opened
from bot.i18n import babel_locale
from bot.plans import changes, slots
from bot.plans.models import FreeSlot
from bot.plans.service import format_when
from bot.reminders import wording
from bot.reminders.conversation import (
    ask_for_other_time,
    capitalised,
    contact_name,
    current_appointment,
    who,
)
from bot.reminders.planning import LIVE_APPOINTMENT
from channels.base import Choice

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

plugin = ConversationPlugin("meetings")
MOVE_REASON = "move_meeting"
REASONS = ("sick", "school", "other")
# Conversation data: what the move step found ('times', 'human', 'gone'), the free times it
# offered (so a button pressed after someone else took its time is still read), and whether
# the picked time was taken.
MOVE, OFFERED, MOVED = "move", "offered_slots", "moved"
# A meeting that is over or off can no longer be moved from the chat.
SETTLED = ("cancelled", "done")


def _remember(turn: Turn, **values: object) -> None:
    turn.state.data = {**turn.state.data, **values}


@plugin.action("appointment_cant_come")
async def cant_come(turn: Turn, reason: str) -> None:
    """'Syg', 'Skole/arbejde' or 'Andet': the meeting is to be moved, and the plan says why."""
    appointment = await current_appointment(turn)
    if appointment is None or appointment.id is None or appointment.status not in LIVE_APPOINTMENT:
        return
    await changes.update_appointment(
        turn.session,
        person=turn.person,
        appointment_id=appointment.id,
        now=turn.now,
        actor="young_person",
        status="reschedule_requested",
        action="appointment.cant_come",
        note=reason if reason in REASONS else "other",
    )


async def _offered(turn: Turn) -> list[FreeSlot]:
    staff_id = turn.person.contact_person_id
    if staff_id is None:
        return []
    return await slots.free_slots(turn.session, staff_id=staff_id, now=turn.now)


@plugin.action("appointment_offer_times")
async def offer_times(turn: Turn, _argument: str) -> None:
    """Find the free times to offer; with none, the contact person finds one (a handoff)."""
    appointment = await current_appointment(turn)
    if appointment is None or appointment.status in SETTLED:
        _remember(turn, **{MOVE: "gone", OFFERED: []})
    elif offered := await _offered(turn):
        _remember(turn, **{MOVE: "times", OFFERED: [slot.id for slot in offered]})
    else:
        _remember(turn, **{MOVE: "human", OFFERED: []})
        await ask_for_other_time(turn, MOVE_REASON)


@plugin.view("move_offer")
async def show_move_offer(turn: Turn) -> str:
    """'Mette har de her ledige tider. Hvilken tid passer dig?' or who finds a new time."""
    found = turn.state.data.get(MOVE)
    if found == "gone":
        return system_text("reminder_gone", turn.lang)
    name = await contact_name(turn)
    if found == "human":
        return " ".join(
            (
                capitalised(system_text("move_no_times", turn.lang, contact=name)),
                await handoff_opened(turn),
            )
        )
    return capitalised(system_text("move_pick_time", turn.lang, contact=name))


@plugin.choice_source("free_times")
async def free_times(turn: Turn) -> list[Option]:
    """Up to three free times, then '‹Mette› finder en ny tid'."""
    if turn.state.data.get(MOVE) != "times":
        return []
    offered = [await turn.session.get(FreeSlot, int(i)) for i in turn.state.data.get(OFFERED, [])]
    options = [
        Option(
            Choice(f"t{slot.id}", slot_label(turn, slot)),
            goto="reminder.moved",
            do=f"appointment_take_time:{slot.id}",
        )
        for slot in offered
        if slot is not None
    ]
    name = await contact_name(turn)
    label = capitalised(system_text("move_human_choice", turn.lang, contact=name))
    return [*options, Option(Choice("human", label), goto="reminder.move_human")]


def slot_label(turn: Turn, slot: FreeSlot) -> str:
    """'tirsdag 10. marts kl. 10.00' (a button; short, and plain spaces: Babel's English
    '10:00\u202fAM' would make a whole SMS UCS-2)."""
    local = slot.starts_at.astimezone(ZoneInfo(turn.municipality.timezone))
    locale = babel_locale(turn.lang)
    pattern = "EEEE d. MMMM" if turn.lang == "da" else "EEEE d MMMM"
    day = format_date(local.date(), pattern, locale=locale)
    time = format_time(local.time(), "short", locale=locale)
    label = system_text("date_at_time", turn.lang, date=day, time=time)
    return " ".join(label.split())


@plugin.action("appointment_take_time")
async def take_time(turn: Turn, argument: str) -> None:
    """A free time picked: the meeting moves there, or (taken meanwhile) a human finds one."""
    appointment = await current_appointment(turn)
    slot = (
        await slots.offered_slot(
            turn.session, person=turn.person, slot_id=int(argument), now=turn.now
        )
        if argument.isdigit()
        else None
    )
    moved = (
        appointment is not None
        and appointment.status not in SETTLED
        and slot is not None
        and await slots.move_to_slot(
            turn.session, person=turn.person, appointment=appointment, slot=slot, now=turn.now
        )
    )
    _remember(turn, **{MOVED: moved})
    if not moved:
        await ask_for_other_time(turn, MOVE_REASON)


@plugin.view("appointment_moved")
async def show_moved(turn: Turn) -> str:
    """The one confirmation: the new time and place, and that the contact person sees it."""
    appointment = await current_appointment(turn)
    if not turn.state.data.get(MOVED) or appointment is None:
        return " ".join((system_text("time_gone", turn.lang), await handoff_opened(turn)))
    meeting = wording.meeting_text(
        appointment,
        who=await who(turn, appointment),
        language=turn.lang,
        timezone=turn.municipality.timezone,
    )
    return system_text(
        "meeting_moved_by_you", turn.lang, meeting=meeting, contact=await contact_name(turn)
    )


@plugin.view("missed_meeting")
async def show_missed(turn: Turn) -> str:
    """'Vi savnede dig til mødet i går kl. 10.00. Skal vi finde en ny tid?'"""
    appointment = await current_appointment(turn)
    if appointment is None:
        return system_text("reminder_gone", turn.lang)
    local = appointment.starts_at.astimezone(ZoneInfo(turn.municipality.timezone))
    time = format_time(local.time(), "short", locale=babel_locale(turn.lang))
    return system_text("missed_meeting", turn.lang, time=time)


@plugin.view("meeting_changed")
async def show_changed(turn: Turn) -> str:
    """What a staff member changed: the new meeting, its new time and place, or that it is off."""
    appointment = await current_appointment(turn)
    if appointment is None:
        return system_text("reminder_gone", turn.lang)
    zone = turn.municipality.timezone
    change = turn.state.data.get("meeting_change")
    if change == "cancelled":
        when = format_when(appointment.starts_at, language=turn.lang, timezone=zone)
        return system_text("meeting_cancelled", turn.lang, when=when)
    meeting = wording.meeting_text(
        appointment, who=await who(turn, appointment), language=turn.lang, timezone=zone
    )
    key = "meeting_added" if change == "added" else "meeting_moved"
    return system_text(key, turn.lang, meeting=meeting)
