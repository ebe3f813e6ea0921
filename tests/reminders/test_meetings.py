"""Meetings a young person can answer (issue 15): the reminder names who, when, where and what
to bring; "Jeg kan ikke komme" asks why and offers the contact person's free times; taking one
moves the meeting; "Vi savnede dig" the day after a meeting nobody marked held."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


async def _meeting(db: Database, *, free: Sequence[tuple[int, ...]] = FREE) -> Meeting:
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
        "Skriv med min kontaktperson",
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


async def test_no_free_times_goes_straight_to_mette_finding_one(db: Database) -> None:
    meeting = await _meeting(db, free=[])
    chat = meeting.chat
    clock.set(local(2026, 3, 9, 16))
    await sweep.sweep_due(db, ENGINE, clock.now())
    await _deliver(chat)
    await chat.tap("Jeg kan ikke komme")
    [told] = await chat.tap("Skole/arbejde")
    assert "Mette har ingen ledige tider lige nu. Mette finder en ny tid til dig." in told.text
    assert told.choices == ()  # a human has the conversation now
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        assert (handoff.reason, handoff.appointment_id) == ("move_meeting", meeting.appointment_id)
        appointment = await session.get(Appointment, meeting.appointment_id)
        assert appointment is not None and appointment.status == "reschedule_requested"


async def test_asking_mette_to_find_a_time_opens_a_move_meeting_handoff(db: Database) -> None:
    meeting = await _meeting(db)
    chat = meeting.chat
    clock.set(local(2026, 3, 9, 16))
    await sweep.sweep_due(db, ENGINE, clock.now())
    await _deliver(chat)
    await chat.tap("Jeg kan ikke komme")
    await chat.tap("Andet")
    [told] = await chat.tap("Mette finder en ny tid")
    assert "Mette" in told.text
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        assert handoff.reason == "move_meeting"
        assert (
            await session.exec(select(FreeSlot).where(col(FreeSlot.appointment_id).is_not(None)))
        ).first() is None


async def test_a_free_time_taken_meanwhile_is_not_taken_twice(db: Database) -> None:
    meeting = await _meeting(db, free=[(2026, 3, 11, 9)])
    chat = meeting.chat
    clock.set(local(2026, 3, 9, 16))
    await sweep.sweep_due(db, ENGINE, clock.now())
    await _deliver(chat)
    await chat.tap("Jeg kan ikke komme")
    await chat.tap("Syg")
    async with db.session() as session:
        slot = (await session.exec(select(FreeSlot))).one()
        slot.appointment_id = meeting.appointment_id  # someone else's move got there first
        session.add(slot)
    [told] = await chat.tap("onsdag 11. marts kl. 09.00")
    assert told.text.startswith("Den tid er ikke ledig længere.")
    async with db.session() as session:
        appointment = await session.get(Appointment, meeting.appointment_id)
        assert appointment is not None and appointment.starts_at == local(*MEETING)
        assert (await session.exec(select(Handoff))).one().reason == "move_meeting"


async def test_staff_moving_a_meeting_sends_one_message_without_plan_or_chat(
    db: Database,
) -> None:
    from bot.reminders import notices

    meeting = await _meeting(db)
    chat = meeting.chat
    await chat.say("Jeg glæder mig, men jeg er nervøs for min diagnose")  # chat content
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        mette = await session.get(StaffMember, meeting.staff_id)
        assert person is not None and mette is not None
        await changes.set_goal(session, person=person, goal="Blive tømrerlærling", now=clock.now())
    before = len(chat.channel.sent)
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        mette = await session.get(StaffMember, meeting.staff_id)
        assert person is not None and mette is not None
        await notices.staff_change(
            session,
            person=person,
            appointment_id=meeting.appointment_id,
            staff=mette,
            engine=ENGINE,
            now=clock.now(),
            starts_at=local(2026, 3, 12, 14),
            place="Jobcentret, Vestergade 2",
        )
    await _deliver(chat)
    sent = chat.channel.sent[before:]
    assert len(sent) == 1
    text = sent[0].text
    assert text.startswith("Dit møde er flyttet. Det er nu torsdag den 12. marts 2026 kl. 14.00")
    assert "Sted: Jobcentret, Vestergade 2." in text
    assert "tømrer" not in text and "diagnose" not in text and "nervøs" not in text
    assert [c.label for c in sent[0].choices] == [
        "Jeg kommer",
        "Jeg kan ikke komme",
        "Skriv med Mette",
        "Menu",
    ]
    # A change that is not a move (what to bring) tells nothing.
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        mette = await session.get(StaffMember, meeting.staff_id)
        assert person is not None and mette is not None
        await notices.staff_change(
            session,
            person=person,
            appointment_id=meeting.appointment_id,
            staff=mette,
            engine=ENGINE,
            now=clock.now(),
            bring="dit CV",
        )
        await notices.staff_change(
            session,
            person=person,
            appointment_id=meeting.appointment_id,
            staff=mette,
            engine=ENGINE,
            now=clock.now(),
            status="cancelled",
        )
    await _deliver(chat)
    cancelled = chat.channel.sent[before + 1 :]
    assert [o.text for o in cancelled] == [
        "Dit møde torsdag den 12. marts 2026 kl. 14.00 er aflyst."
    ]
    assert [c.label for c in cancelled[0].choices] == ["Menu"]


async def test_staff_changes_at_night_wait_for_the_end_of_quiet_hours(db: Database) -> None:
    from bot.outbox.models import OutboxItem
    from bot.reminders import notices

    meeting = await _meeting(db)
    clock.set(local(2026, 3, 3, 22, 30))
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        mette = await session.get(StaffMember, meeting.staff_id)
        assert person is not None and mette is not None
        await notices.staff_book(
            session,
            person=person,
            staff=mette,
            engine=ENGINE,
            now=clock.now(),
            starts_at=local(2026, 3, 16, 9),
            place="Torvet 1",
        )
        [item] = (await session.exec(select(OutboxItem))).all()
        assert item.due_at == local(2026, 3, 4, 8)
        message = await session.get(Message, item.message_id)
        assert message is not None
        assert message.body.startswith(
            "Du har fået et nyt møde mandag den 16. marts 2026 kl. 09.00"
        )


async def _missed(db: Database, *moment: int) -> int:
    from bot.reminders.missed import sweep_missed

    clock.set(local(*moment))
    return (await sweep_missed(db, ENGINE, clock.now())).told


async def test_a_missed_meeting_is_followed_up_once_at_10_the_next_day(db: Database) -> None:
    meeting = await _meeting(db)
    chat = meeting.chat
    assert await _missed(db, 2026, 3, 10, 18) == 0
    assert await _missed(db, 2026, 3, 11, 9, 59) == 0
    assert await _deliver(chat) == []
    assert await _missed(db, 2026, 3, 11, 10) == 1
    assert await _deliver(chat) == [
        "Vi savnede dig til mødet i går kl. 10.00. Skal vi finde en ny tid?"
    ]
    assert [c.label for c in chat.channel.sent[-1].choices] == ["Ja", "Nej tak", "Menu"]
    # Never twice: not later that day, nor the day after.
    assert await _missed(db, 2026, 3, 11, 10, 5) == 0
    assert await _missed(db, 2026, 3, 12, 10) == 0
    assert await _deliver(chat) == []
    async with db.session() as session:
        appointment = await session.get(Appointment, meeting.appointment_id)
        assert appointment is not None
        assert (appointment.status, appointment.missed_notice_at) == (
            "missed",
            local(2026, 3, 11, 10),
        )
        items = await _list(session, meeting)
        assert [(i.kind, i.appointment.id) for i in items] == [("missed", meeting.appointment_id)]
    # "Ja": the same free times; taking one moves the meeting off the missed list.
    offer = await chat.tap("Ja")
    assert "Mette har de her ledige tider" in offer[0].text
    # (The clock is now Thursday 10:00: Thursday's free time is too close to be offered.)
    [moved] = await chat.tap("fredag 13. marts kl. 10.00")
    assert "Dit møde er flyttet." in moved.text
    async with db.session() as session:
        items = await _list(session, meeting)
        assert [(i.kind, i.appointment.starts_at) for i in items] == [
            ("moved", local(2026, 3, 13, 10))
        ]


async def test_no_thanks_to_a_missed_meeting_goes_to_the_menu(db: Database) -> None:
    meeting = await _meeting(db)
    await _missed(db, 2026, 3, 11, 10)
    await _deliver(meeting.chat)
    [reply] = await meeting.chat.tap("Nej tak")
    assert reply.text.startswith("Okay. Du kan altid skrive til os her.")
    assert "Min plan" in [c.label for c in reply.choices]


@pytest.mark.parametrize("status", ["done", "cancelled", "reschedule_requested"])
async def test_held_or_cancelled_meetings_get_no_follow_up(db: Database, status: str) -> None:
    meeting = await _meeting(db)
    async with db.session() as session:
        person = await session.get(YoungPerson, meeting.person_id)
        assert person is not None
        await changes.update_appointment(
            session,
            person=person,
            appointment_id=meeting.appointment_id,
            now=clock.now(),
            status=status,
        )
    assert await _missed(db, 2026, 3, 11, 10) == 0
    assert await _deliver(meeting.chat) == []
    async with db.session() as session:
        assert await _list(session, meeting) == []


async def test_the_follow_up_waits_for_the_end_of_quiet_hours(db: Database) -> None:
    from datetime import time

    from bot.municipalities.models import Municipality

    meeting = await _meeting(db)
    async with db.session() as session:
        mette = await session.get(StaffMember, meeting.staff_id)
        assert mette is not None
        town = await session.get(Municipality, mette.municipality_id)
        assert town is not None
        town.quiet_end = time(11, 0)
        session.add(town)
    assert await _missed(db, 2026, 3, 11, 10) == 0
    assert await _missed(db, 2026, 3, 11, 11) == 1


async def test_a_follow_up_a_day_late_is_not_sent_but_listed(db: Database) -> None:
    meeting = await _meeting(db)
    assert await _missed(db, 2026, 3, 12, 9) == 0  # the worker was down all Wednesday
    assert await _deliver(meeting.chat) == []
    async with db.session() as session:
        assert [i.kind for i in await _list(session, meeting)] == ["missed"]


async def test_the_scheduler_runs_the_missed_meeting_follow_up(db: Database) -> None:
    from bot.reminders.scheduled import jobs
    from bot.settings import get_settings

    meeting = await _meeting(db)
    job = next(j for j in jobs(get_settings(), ENGINE) if j.name == "reminders.missed")
    clock.set(local(2026, 3, 11, 10, 1))
    woken: list[bool] = []
    await job.run(db, lambda: woken.append(True))
    assert woken == [True]
    assert len(await _deliver(meeting.chat)) == 1
