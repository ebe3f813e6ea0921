"""Meetings a young person can answer (issue 15): the reminder names who, when, where and what
to bring; "Jeg kan ikke komme" asks why and offers the contact person's free times; taking one
moves the meeting; "Vi savnede dig" the day after a meeting nobody marked held."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import clock
from bot.conversation.models import Message
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import YoungPerson
from bot.plans import changes, follow_up, slots
from bot.plans.models import Appointment, FreeSlot, PlanEvent
from bot.reminders import sweep
from bot.reminders.models import Reminder
from bot.reminders.planning import PENDING
from bot.staff.models import StaffMember
from tests.support import ENGINE, Harness
from tests.world import local, one_person

MEETING = (2026, 3, 10, 10)  # a Tuesday
FREE = [(2026, 3, 11, 9), (2026, 3, 11, 13), (2026, 3, 12, 10), (2026, 3, 13, 10)]


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@dataclass
class Meeting:
    person_id: int
    staff_id: int
    appointment_id: int
    chat: Harness


async def _meeting(db: Database, *, free: list[tuple[int, ...]] = FREE) -> Meeting:
    """Sofie, Mette's, with a meeting on Tuesday 10:00 booked a week before, and Mette's
    published free times."""
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db, address="visitor-m")
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        mette = await session.get(StaffMember, world.staff_id)
        assert person is not None and mette is not None
        appointment = await changes.add_appointment(
            session,
            person=person,
            starts_at=local(*MEETING),
            place="Ungeindsatsen, Torvet 1",
            bring="dit sundhedskort",
            now=clock.now(),
        )
        for moment in free:
            await slots.publish(
                session, staff=mette, starts_at=local(*moment), place="Jobcentret", now=clock.now()
            )
        assert appointment.id is not None
    return Meeting(world.person_id, world.staff_id, appointment.id, Harness(db, "visitor-m"))


async def _deliver(chat: Harness) -> list[str]:
    before = len(chat.channel.sent)
    while await chat.dispatcher.dispatch_once():
        pass
    return [out.text for out in chat.channel.sent[before:]]


async def _pending(db: Database, appointment_id: int) -> dict[str, object]:
    async with db.session() as session:
        rows = await session.exec(
            select(Reminder).where(
                Reminder.kind == "appointment",
                Reminder.target_id == appointment_id,
                Reminder.status == PENDING,
            )
        )
        return {r.offset_key: r.due_at for r in rows.all()}


async def test_reminders_go_three_days_and_one_day_before_at_16(db: Database) -> None:
    meeting = await _meeting(db)
    assert await _pending(db, meeting.appointment_id) == {
        "3d@16:00": local(2026, 3, 7, 16),
        "1d@16:00": local(2026, 3, 9, 16),
    }


async def test_a_municipality_may_set_its_own_reminder_times(db: Database) -> None:
    meeting = await _meeting(db)
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        assert person is not None
        from bot.municipalities.models import Municipality

        town = await session.get(Municipality, person.municipality_id)
        assert town is not None
        town.appointment_reminders = "2d@12:00, nonsense"
        session.add(town)
        await changes.update_appointment(
            session, person=person, appointment_id=meeting.appointment_id, now=clock.now()
        )
    assert await _pending(db, meeting.appointment_id) == {"2d@12:00": local(2026, 3, 8, 12)}


async def test_cannot_come_sick_pick_a_free_time_moves_the_meeting(db: Database) -> None:
    meeting = await _meeting(db)
    chat = meeting.chat
    clock.set(local(2026, 3, 7, 16))
    assert (await sweep.sweep_due(db, ENGINE, clock.now())).sent == 1
    [reminder] = await _deliver(chat)
    assert "tirsdag den 10. marts 2026 kl. 10.00 med Mette" in reminder
    assert "Sted: Ungeindsatsen, Torvet 1." in reminder
    assert "Tag med: dit sundhedskort." in reminder
    assert [c.label for c in chat.channel.sent[-1].choices] == [
        "Jeg kommer",
        "Jeg kan ikke komme",
        "Skriv med Mette",
        "Menu",
    ]

    why = await chat.tap("Jeg kan ikke komme")
    assert [o.text for o in why] == ["Okay. Hvorfor kan du ikke komme?"]
    assert [c.label for c in why[0].choices] == ["Syg", "Skole/arbejde", "Andet", "Menu"]

    offer = await chat.tap("Syg")
    assert len(offer) == 1
    labels = [c.label for c in offer[0].choices]
    # Three of Mette's four free times, soonest first, and a human; the menu.
    assert labels == [
        "onsdag 11. marts kl. 09.00",
        "onsdag 11. marts kl. 13.00",
        "torsdag 12. marts kl. 10.00",
        "Mette finder en ny tid",
        "Menu",
    ]
    assert "Mette har de her ledige tider" in offer[0].text

    confirmation = await chat.tap("onsdag 11. marts kl. 13.00")
    assert len(confirmation) == 1  # exactly one confirmation to the young person
    text = confirmation[0].text
    assert "Dit møde er flyttet." in text
    assert "onsdag den 11. marts 2026 kl. 13.00 med Mette" in text
    assert "Sted: Jobcentret." in text and "Tag med: dit sundhedskort." in text

    async with db.session() as session:
        appointment = await session.get(Appointment, meeting.appointment_id)
        assert appointment is not None
        assert (appointment.starts_at, appointment.place, appointment.status) == (
            local(2026, 3, 11, 13),
            "Jobcentret",
            "confirmed",
        )
        taken = (
            await session.exec(select(FreeSlot).where(col(FreeSlot.appointment_id).is_not(None)))
        ).all()
        assert [s.starts_at for s in taken] == [local(2026, 3, 11, 13)]
        history = (await session.exec(select(PlanEvent).order_by(col(PlanEvent.id)))).all()
        actions = [e.action for e in history]
        assert actions.count("appointment.moved") == 1
        assert "appointment.cant_come" in actions
        assert any(
            e.detail.endswith("sick") for e in history if e.action == "appointment.cant_come"
        )
        # The contact person's list: exactly one line for the move.
        items = await _list(session, meeting)
        assert [(i.kind, i.appointment.id) for i in items] == [("moved", meeting.appointment_id)]
        # No human was asked: the young person moved it themselves.
        assert (await session.exec(select(Handoff))).first() is None
    # The old reminders (Saturday 16:00 sent, Monday 16:00 pending) are replaced by the new
    # meeting's: Sunday 8 March and Tuesday 10 March at 16:00.
    assert await _pending(db, meeting.appointment_id) == {
        "3d@16:00": local(2026, 3, 8, 16),
        "1d@16:00": local(2026, 3, 10, 16),
    }
    assert (await sweep.sweep_due(db, ENGINE, local(2026, 3, 8, 16))).sent == 1
    assert (await sweep.sweep_due(db, ENGINE, local(2026, 3, 10, 16))).sent == 1


async def _list(session: AsyncSession, meeting: Meeting) -> list[follow_up.Item]:
    """The contact person's meeting list, as the inbox page reads it."""
    mette = await session.get(StaffMember, meeting.staff_id)
    assert mette is not None
    return await follow_up.items_for(
        session, staff_id=meeting.staff_id, municipality_id=mette.municipality_id, now=clock.now()
    )
