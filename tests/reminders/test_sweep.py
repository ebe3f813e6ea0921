"""The sweep: due reminders become outbox rows exactly once, at the right time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.conversation.engine import Engine
from bot.conversation.models import ConversationState, Message
from bot.conversation.turn import Reply, Turn
from bot.database import Database
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.outbox.models import OutboxItem
from bot.outbox.service import Outgoing
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, PlanEvent
from bot.reminders import planning, sweep, wording, writing
from bot.reminders.models import Reminder
from bot.wiring import build_registry
from tests import world
from tests.support import ENGINE, Harness
from tests.world import local, one_person, outbox_count


async def _book(
    db: Database, person_id: int, starts_at_local: tuple[int, ...], count: int = 1
) -> list[int]:
    ids = []
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        assert person is not None
        # The sweep's own cases (a 2-hour reminder too late, in quiet hours) need a short
        # offset: this municipality reminds the day before at 16:00 and two hours before.
        town = await session.get(Municipality, person.municipality_id)
        assert town is not None
        town.appointment_reminders = "1d@16:00,2h"
        session.add(town)
        for _ in range(count):
            appointment = await changes.add_appointment(
                session,
                person=person,
                starts_at=local(*starts_at_local),
                place="Ungeindsatsen, Torvet 1",
                with_whom="Mette",
                now=clock.now(),
            )
            ids.append(appointment.id or 0)
    return ids


@pytest.fixture(autouse=True)
def _reset_clock():  # type: ignore[no-untyped-def]
    yield
    clock.reset()


async def test_friday_booking_sends_monday_16_and_tuesday_08(db: Database) -> None:
    clock.set(local(2026, 3, 6, 12))
    world = await one_person(db)
    await _book(db, world.person_id, (2026, 3, 10, 10))
    assert (await sweep.sweep_due(db, ENGINE, clock.now())).sent == 0
    monday = await sweep.sweep_due(db, ENGINE, local(2026, 3, 9, 15, 59))
    assert monday.sent == 0
    monday = await sweep.sweep_due(db, ENGINE, local(2026, 3, 9, 16))
    assert monday.sent == 1
    tuesday = await sweep.sweep_due(db, ENGINE, local(2026, 3, 10, 8))
    assert tuesday.sent == 1
    async with db.session() as session:
        items = (await session.exec(select(OutboxItem).order_by(OutboxItem.id))).all()
        assert [i.due_at for i in items] == [local(2026, 3, 9, 16), local(2026, 3, 10, 8)]
        message = await session.get(Message, items[0].message_id)
        assert message is not None
        assert "Husk dit møde tirsdag den 10. marts 2026 kl. 10.00 med Mette" in message.body
        assert "Sted: Ungeindsatsen, Torvet 1" in message.body
        assert [c["key"] for c in message.choices] == ["coming", "cant_come", "contact", "menu"]


async def test_reminder_swept_in_quiet_hours_goes_out_at_their_end(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    await _book(db, world.person_id, (2026, 3, 5, 10))
    async with db.session() as session:
        row = (await session.exec(select(Reminder).where(Reminder.offset_key == "1d@16:00"))).one()
        # As if the service was down from 16:00 and the sweep only ran at 23:00.
        assert row.due_at == local(2026, 3, 4, 16)
    result = await sweep.sweep_due(db, ENGINE, local(2026, 3, 4, 23))
    assert result.sent == 1
    async with db.session() as session:
        item = (await session.exec(select(OutboxItem))).one()
        assert item.due_at == local(2026, 3, 5, 8)


async def test_two_hour_reminder_for_a_meeting_already_over_is_dropped(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    await _book(db, world.person_id, (2026, 3, 5, 9))
    # Down all night: at 09:30 the meeting has begun; the 2-hour reminder is dropped, not sent.
    result = await sweep.sweep_due(db, ENGINE, local(2026, 3, 5, 9, 30))
    assert result.outcomes == {"dropped": 2}
    assert await outbox_count(db) == 0


async def test_two_sweeps_at_once_send_each_reminder_once(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    await _book(db, world.person_id, (2026, 3, 10, 10), count=30)
    now = local(2026, 3, 10, 8, 30)
    results = await asyncio.gather(
        sweep.sweep_due(db, ENGINE, now, batch=7), sweep.sweep_due(db, ENGINE, now, batch=7)
    )
    assert sum(r.sent for r in results) == 60
    assert await outbox_count(db) == 60
    async with db.session() as session:
        rows = (await session.exec(select(Reminder))).all()
        assert {r.status for r in rows} == {"sent"}
        assert len({r.message_id for r in rows}) == 60
    assert (await sweep.sweep_due(db, ENGINE, now)).claimed == 0


class Crash(Exception):
    """The process dies mid-sweep."""


async def test_crash_mid_sweep_and_restart_send_exactly_once(db: Database) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db, address="visitor-crash")
    await _book(db, world.person_id, (2026, 3, 10, 10), count=3)
    now = local(2026, 3, 10, 8, 30)
    clock.set(now)
    with pytest.raises(Crash):
        async with db.session() as session:
            assert (await sweep.sweep_batch(session, ENGINE, now=now, limit=100)).sent == 6
            raise Crash  # before commit: nothing of the sweep survives
    assert await outbox_count(db) == 0
    assert (await sweep.sweep_due(db, ENGINE, now)).sent == 6
    # A restart between sweep and send: the next sweep finds nothing, the dispatcher sends once.
    assert (await sweep.sweep_due(db, ENGINE, now)).sent == 0
    chat = Harness(db, address="visitor-crash")
    while await chat.dispatcher.dispatch_once():
        pass
    assert len(chat.channel.sent) == 6
    assert await outbox_count(db) == 6


async def test_one_broken_reminder_does_not_stop_the_rest(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    ids = await _book(db, world.person_id, (2026, 3, 10, 10), count=2)
    original = wording.appointment_text

    def broken(appointment: Appointment, **kwargs: str) -> str:
        if appointment.id == ids[0]:
            raise RuntimeError("bad content")
        return original(appointment, **kwargs)

    monkeypatch.setattr(wording, "appointment_text", broken)
    result = await sweep.sweep_due(db, ENGINE, local(2026, 3, 10, 8, 30))
    assert result.outcomes == {"failed": 2, "sent": 2}
    assert await outbox_count(db) == 2


async def test_a_reminder_that_cannot_be_written_leaves_the_conversation_as_before(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(local(2026, 3, 2, 9))
    world = await one_person(db)
    [kept] = await _book(db, world.person_id, (2026, 3, 10, 10))
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None
        await changes.add_appointment(
            session,
            person=person,
            starts_at=local(2026, 3, 10, 10),
            place="Torvet 2",
            now=clock.now(),
        )
    original = writing.enqueue_many

    async def refusing(session: Any, outgoing: list[Outgoing], **kwargs: Any) -> list[int]:
        if any("Torvet 2" in out.text for out in outgoing):
            raise RuntimeError("the database refused the row")
        return await original(session, outgoing, **kwargs)

    monkeypatch.setattr(writing, "enqueue_many", refusing)
    result = await sweep.sweep_due(db, ENGINE, local(2026, 3, 10, 8, 30))
    assert result.outcomes == {"sent": 2, "failed": 2}
    async with db.session() as session:
        state = await session.get(ConversationState, world.person_id)
        assert state is not None
        # The last reminder was not written: the answer is read against the one that was.
        assert (state.flow, state.step) == ("reminder", "appointment")
        assert state.data["appointment_id"] == kept


async def test_mette_finds_a_new_time_opens_a_handoff_with_the_appointment(db: Database) -> None:
    clock.set(local(2026, 3, 6, 12))
    world = await one_person(db, address="visitor-r")
    [appointment_id] = await _book(db, world.person_id, (2026, 3, 10, 10))
    clock.set(local(2026, 3, 9, 16))
    await sweep.sweep_due(db, ENGINE, clock.now())
    chat = Harness(db, address="visitor-r")
    while await chat.dispatcher.dispatch_once():
        pass
    assert "Kommer du?" in chat.channel.sent[-1].text
    await chat.tap("Jeg kan ikke komme")
    reply = await chat.tap("Syg")  # Mette has published no free times
    assert "Mette" in reply[-1].text
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        assert (handoff.reason, handoff.appointment_id) == ("move_meeting", appointment_id)
        appointment = await session.get(Appointment, appointment_id)
        assert appointment is not None and appointment.status == "reschedule_requested"
        # The 2-hour reminder for a meeting being moved is not sent.
        assert await planning.pending_for(session, person_id=world.person_id) == []


async def test_i_am_coming_confirms_the_appointment(db: Database) -> None:
    clock.set(local(2026, 3, 6, 12))
    world = await one_person(db, address="visitor-c")
    [appointment_id] = await _book(db, world.person_id, (2026, 3, 10, 10))
    clock.set(local(2026, 3, 9, 16))
    await sweep.sweep_due(db, ENGINE, clock.now())
    chat = Harness(db, address="visitor-c")
    while await chat.dispatcher.dispatch_once():
        pass
    reply = await chat.say("1")
    assert "Tak. Jeg har skrevet i din plan, at du kommer." in reply[-1].text
    async with db.session() as session:
        appointment = await session.get(Appointment, appointment_id)
        assert appointment is not None and appointment.status == "confirmed"
        events = (
            await session.exec(select(PlanEvent).where(PlanEvent.actor == "young_person"))
        ).all()
        assert [e.action for e in events] == ["appointment.change"]
        assert (await session.exec(select(Handoff))).first() is None


class StartCounting(Engine):
    """The real engine, counting the turns it starts."""

    def __init__(self) -> None:
        super().__init__(build_registry())
        self.started = 0

    async def start(self, turn: Turn, ref: str, *, data: Any = None) -> list[Reply]:
        self.started += 1
        return await super().start(turn, ref, data=data)


async def test_reminders_alike_are_said_once_and_each_reads_their_own(db: Database) -> None:
    clock.set(local(2026, 3, 6, 12))
    async with db.session() as session:
        town = await world.municipality(session)
        mette = await world.staff_member(session, town)
        people = {}
        for name, language in (("anna", "da"), ("bo", "da"), ("cleo", "en")):
            person = await world.young_person(session, town, contact=mette, language=language)
            await world.channel_identity(session, person, address=f"visitor-{name}")
            if name != "bo":  # Bo has no conversation yet
                await world.conversation(session, person)
            people[name] = person.id
    meetings = {
        name: (await _book(db, person_id, (2026, 3, 10, 10)))[0]
        for name, person_id in people.items()
    }
    engine = StartCounting()
    result = await sweep.sweep_due(db, engine, local(2026, 3, 9, 16))
    assert result.sent == 3
    # Anna's and Bo's read alike (Danish, the same meeting time, place and person): said once.
    assert engine.started == 2
    async with db.session() as session:
        for name, person_id in people.items():
            state = await session.get(ConversationState, person_id)
            assert state is not None
            assert (state.flow, state.step) == ("reminder", "appointment")
            assert state.data["appointment_id"] == meetings[name]
            body = (
                await session.exec(select(Message.body).where(Message.young_person_id == person_id))
            ).one()
            said = "Remember your meeting" if name == "cleo" else "Husk dit møde tirsdag"
            assert body.startswith(said), (name, body)
    # Bo's "1" confirms Bo's meeting, and nobody else's.
    reply = await Harness(db, address="visitor-bo").say("1")
    assert "Tak. Jeg har skrevet i din plan, at du kommer." in reply[-1].text
    async with db.session() as session:
        statuses = {
            name: (await session.get(Appointment, meeting_id)).status  # type: ignore[union-attr]
            for name, meeting_id in meetings.items()
        }
    assert statuses == {"anna": "planned", "bo": "confirmed", "cleo": "planned"}


def test_reminder_steps_are_said_alike_and_steps_that_act_are_not() -> None:
    assert ENGINE.says_alike("reminder.appointment")
    assert ENGINE.says_alike("reminder.milestone")
    # An answer that acts for the young person (confirms their meeting) is never shared.
    assert not ENGINE.says_alike("reminder.coming")
