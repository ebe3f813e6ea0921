"""Messages the bot starts itself offer exactly the choices their step reads.

A reminder, a check-in and a hand-back are each said by `Engine.start` on the step that reads
the answer: every number offered is understood, as the button it names, and one more is not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from bot.checkins import scheduled, service
from bot.checkins.models import Checkin, CheckinSchedule
from bot.checkins.risk import rules
from bot.clock import clock
from bot.content.flows import flows
from bot.content.texts import system_text
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.handoff import operations
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Appointment, Milestone
from bot.reminders import sweep
from bot.staff.models import StaffMember
from channels.base import Outbound
from tests.support import ENGINE, Harness
from tests.world import handoff, local, one_person

NOT_UNDERSTOOD = system_text("not_understood", "da")


@pytest.fixture(autouse=True)
def _clock():  # type: ignore[no-untyped-def]
    clock.set(local(2026, 3, 2, 9))  # Monday morning
    yield
    clock.reset()


async def _row(session: Any, model: Any, row_id: int) -> Any:
    row = await session.get(model, row_id)
    assert row is not None
    return row


async def _state(db: Database, person_id: int) -> tuple[str, str, dict[str, Any]]:
    async with db.session() as session:
        state = await session.get(ConversationState, person_id)
        assert state is not None
        return state.flow, state.step, dict(state.data)


async def _rewind(db: Database, person_id: int, where: tuple[str, str, dict[str, Any]]) -> None:
    """Back to just after the bot's message: what an answer did before is undone."""
    async with db.session() as session:
        state = await session.get(ConversationState, person_id)
        assert state is not None
        state.flow, state.step, state.data = where[0], where[1], dict(where[2])
        state.misses = 0
        session.add(state)
        for statement in (
            update(YoungPerson).values(risk_flag_at=None, risk_reason=None),
            update(Handoff).values(status="closed"),
            update(Appointment).values(status="planned"),
            update(Milestone).values(status="open", done_at=None),
            update(Checkin).values(score=None, text=None, answered_at=None),
            update(CheckinSchedule).values(paused=False),
        ):
            await session.exec(statement)


async def _each_choice_understood(
    db: Database, chat: Harness, person_id: int, ref: str
) -> Outbound:
    """Send the bot's message, then answer it with each number it offers."""
    while await chat.dispatcher.dispatch_once():
        pass
    message: Outbound = chat.channel.sent[-1]
    where = await _state(db, person_id)
    assert f"{where[0]}.{where[1]}" == ref
    assert message.choices, f"{ref}: no choices"
    assert message.choices[-1].key == "menu", f"{ref}: no way back to the menu"
    for number, choice in enumerate(message.choices, start=1):
        await _rewind(db, person_id, where)
        typed = await chat.say(str(number))
        typed_to = await _state(db, person_id)
        assert typed, f"{ref} {number}: no answer"
        assert all(NOT_UNDERSTOOD not in out.text for out in typed), f"{ref} {number}"
        await _rewind(db, person_id, where)
        await chat.say(choice.label, choice=choice.key)
        pressed_to = await _state(db, person_id)
        # The number means the button it stands beside.
        assert typed_to[:2] == pressed_to[:2], f"{ref} {number} is not {choice.key!r}"
    if not flows().step(ref).input:
        await _rewind(db, person_id, where)
        beyond = await chat.say(str(len(message.choices) + 1))
        assert NOT_UNDERSTOOD in beyond[-1].text, f"{ref}: more choices read than offered"
    return message


async def test_appointment_reminder_offers_what_its_step_reads(db: Database) -> None:
    world = await one_person(db)
    async with db.session() as session:
        await changes.add_appointment(
            session,
            person=await _row(session, YoungPerson, world.person_id),
            starts_at=local(2026, 3, 10, 10),
            place="Torvet 1",
            with_whom="Mette",
            now=clock.now(),
        )
    clock.set(local(2026, 3, 7, 16))  # three days before at 16:00
    assert (await sweep.sweep_due(db, ENGINE, clock.now())).sent == 1
    await _each_choice_understood(db, Harness(db), world.person_id, "reminder.appointment")


@pytest.mark.parametrize("overdue", [False, True])
async def test_milestone_reminder_offers_what_its_step_reads(db: Database, overdue: bool) -> None:
    world = await one_person(db)
    async with db.session() as session:
        await changes.add_milestone(
            session,
            person=await _row(session, YoungPerson, world.person_id),
            title="Skriv dit CV færdigt",
            due_date=date(2026, 3, 20),
            now=clock.now(),
        )
    # Two days before at 16:00; the follow-up the day after at 10:00.
    clock.set(local(2026, 3, 21, 10) if overdue else local(2026, 3, 18, 16))
    assert (await sweep.sweep_due(db, ENGINE, clock.now())).sent == (2 if overdue else 1)
    message = await _each_choice_understood(db, Harness(db), world.person_id, "reminder.milestone")
    # The follow-up asks how it went; the one before reminds.
    said = "Hvordan går det med dit skridt" if overdue else "Husk dit skridt"
    assert message.text.startswith(said)


async def test_checkin_offers_what_its_step_reads(db: Database) -> None:
    world = await one_person(db)
    async with db.session() as session:
        person = await _row(session, YoungPerson, world.person_id)
        town = await _row(session, Municipality, world.town_id)
        await service.ensure_schedule(session, person=person, municipality=town, now=clock.now())
    clock.set(local(2026, 3, 4, 15))
    assert (await scheduled.sweep_checkins(db, ENGINE, clock.now())).outcomes == {"asked": 1}
    await _each_choice_understood(db, Harness(db), world.person_id, "checkin.ask")


async def test_a_human_taking_over_for_another_leaves_the_choices(db: Database) -> None:
    """One sweep session: a risk flag (a handoff) for one must not strip the next question."""
    other = await one_person(db, address="visitor-2", code="other")
    world = await one_person(db)
    async with db.session() as session:
        for person_id, town_id in (
            (other.person_id, other.town_id),
            (world.person_id, world.town_id),
        ):
            schedule = await service.ensure_schedule(
                session,
                person=await _row(session, YoungPerson, person_id),
                municipality=await _row(session, Municipality, town_id),
                now=clock.now(),
            )
        unanswered = rules().no_answer.in_a_row
        session.add_all(
            Checkin(young_person_id=other.person_id, sent_at=local(2026, 2, 1 + n, 15))
            for n in range(unanswered)
        )
        # The other is swept first: three check-ins unanswered, so a human takes over.
        other_schedule = await _row(session, CheckinSchedule, other.person_id)
        other_schedule.next_at = local(2026, 3, 4, 14, 59)
        session.add_all([schedule, other_schedule])
    clock.set(local(2026, 3, 4, 15))
    result = await scheduled.sweep_checkins(db, ENGINE, clock.now())
    assert result.outcomes == {"flagged": 1, "asked": 1}
    await _each_choice_understood(db, Harness(db), world.person_id, "checkin.ask")


async def test_hand_back_offers_what_its_step_reads(db: Database) -> None:
    world = await one_person(db)
    async with db.session() as session:
        person = await _row(session, YoungPerson, world.person_id)
        staff = await _row(session, StaffMember, world.staff_id)
        await handoff(session, person, assignee=staff, status="held")
        await operations.hand_back(
            session, staff=staff, person=person, now=clock.now(), engine=ENGINE
        )
    await _each_choice_understood(db, Harness(db), world.person_id, "handback.ask")
