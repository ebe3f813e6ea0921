"""The plan over chat: see it, report a step done (button, number, words), ask for a change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.conversation import match_milestone
from bot.plans.models import Milestone, PlanEvent
from bot.reminders import planning, sweep
from tests.support import ENGINE, Harness
from tests.world import local, one_person


@pytest.fixture(autouse=True)
def _clock():  # type: ignore[no-untyped-def]
    clock.set(local(2026, 3, 3, 10))
    yield
    clock.reset()


async def _plan(db: Database, person_id: int) -> None:
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        assert person is not None
        await changes.set_goal(
            session, person=person, goal="Starte på tømrer i august", now=clock.now()
        )
        await changes.add_milestone(
            session,
            person=person,
            title="Søg ind på optagelse.dk",
            due_date=date(2026, 3, 1),
            now=clock.now(),
        )
        await changes.add_milestone(
            session,
            person=person,
            title="Skriv dit CV færdigt",
            due_date=date(2026, 3, 20),
            now=clock.now(),
        )


async def _done_titles(db: Database) -> list[str]:
    async with db.session() as session:
        rows = (await session.exec(select(Milestone).where(Milestone.status == "done"))).all()
        return [m.title for m in rows]


async def _history(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as session:
        rows = (await session.exec(select(PlanEvent).order_by(PlanEvent.id))).all()
        return [(e.actor, e.action, e.detail) for e in rows]


@pytest.mark.parametrize("channel", ["telegram", "sms"])
@pytest.mark.parametrize("how", ["words", "number", "button"])
async def test_mark_milestone_done_over_chat(db: Database, channel: str, how: str) -> None:
    address = "+4520123456" if channel == "sms" else "777001"
    world = await one_person(db, channel=channel, address=address)
    await _plan(db, world.person_id)
    chat = Harness(db, address=address, channel=channel)
    shown = await chat.say("min plan")
    assert "Dit mål: Starte på tømrer i august" in shown[-1].text
    if how == "words":
        asked = await chat.say("Jeg har søgt")
    else:
        await chat.tap("Jeg er færdig med et skridt")
        offered = [c.label for c in chat.channel.sent[-1].choices]
        # The young person's own open steps are the choices, then the way back.
        assert offered == ["Søg ind på optagelse.dk", "Skriv dit CV færdigt", "Menu"]
        asked = await (chat.say("1") if how == "number" else chat.tap("Søg ind på optagelse.dk"))
    # First the question, one message; nothing is marked yet.
    assert len(asked) == 1
    assert asked[0].text == "Skal jeg skrive, at du er færdig med 'Søg ind på optagelse.dk'?"
    assert [c.label for c in asked[0].choices] == ["Ja", "Nej", "Menu"]
    assert await _done_titles(db) == []
    reply = await chat.tap("Ja")
    assert len(reply) == 1
    assert "Godt gået!" in reply[-1].text and "Søg ind på optagelse.dk" in reply[-1].text
    assert "Jeg kunne ikke finde" not in reply[-1].text
    # The plan shown afterwards has only the open step left.
    assert "Skriv dit CV færdigt" in reply[-1].text
    assert "- Søg ind" not in reply[-1].text
    assert await _done_titles(db) == ["Søg ind på optagelse.dk"]
    assert ("young_person", "milestone.done", "Søg ind på optagelse.dk") in await _history(db)
    async with db.session() as session:
        # Its reminders stop.
        pending = await planning.pending_for(session, person_id=world.person_id)
        assert all(r.kind == "milestone" or r.kind == "milestone_overdue" for r in pending)
        assert {r.target_id for r in pending} == {2}


async def test_words_that_match_no_step_change_nothing(db: Database) -> None:
    world = await one_person(db)
    await _plan(db, world.person_id)
    chat = Harness(db)
    await chat.say("min plan")
    reply = await chat.say("hvornår holder I åbent")
    assert reply[-1].text == "Det kan jeg ikke svare på her. Din kontaktperson kan svare dig."
    assert "Skriv med min kontaktperson" in [c.label for c in reply[-1].choices]
    reply = await chat.say("bananer")
    assert reply[-1].text.startswith("Jeg ved ikke, hvilket skridt du mener.")
    # The open steps are offered again.
    assert [c.label for c in reply[-1].choices][:2] == [
        "Søg ind på optagelse.dk",
        "Skriv dit CV færdigt",
    ]
    assert await _done_titles(db) == []


async def test_asking_to_change_the_plan_opens_a_handoff(db: Database) -> None:
    world = await one_person(db)
    await _plan(db, world.person_id)
    chat = Harness(db)
    await chat.say("min plan")
    reply = await chat.tap("Jeg vil ændre noget")
    assert "Mette" in reply[-1].text
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        assert handoff.reason == "plan_change"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jeg har søgt", 0),
        ("har skrevet mit CV", 1),
        ("cv er færdigt", 1),
        ("2", 1),
        ("hej", None),
        ("9", None),
        ("jeg har", None),
    ],
)
def test_match_milestone(text: str, expected: int | None) -> None:
    milestones = [
        Milestone(id=1, plan_id=1, title="Søg ind på optagelse.dk"),
        Milestone(id=2, plan_id=1, title="Skriv dit CV færdigt"),
    ]
    found = match_milestone(text, milestones)
    assert found is (milestones[expected] if expected is not None else None)


async def test_overdue_milestone_follow_up_flags_the_contact_person(db: Database) -> None:
    world = await one_person(db)
    await _plan(db, world.person_id)
    # The CV step is due Friday 20 March: a reminder 18 March 16:00, a follow-up 21 March 10:00.
    before = await sweep.sweep_due(db, ENGINE, local(2026, 3, 18, 16))
    assert before.sent == 1
    async with db.session() as session:
        cv = (await session.exec(select(Milestone).where(Milestone.id == 2))).one()
        assert cv.overdue_flagged_at is None
    after = await sweep.sweep_due(db, ENGINE, local(2026, 3, 21, 10))
    assert after.sent == 1
    async with db.session() as session:
        cv = (await session.exec(select(Milestone).where(Milestone.id == 2))).one()
        assert cv.overdue_flagged_at == local(2026, 3, 21, 10)
    assert ("system", "milestone.overdue", "Skriv dit CV færdigt") in await _history(db)
    clock.set(local(2026, 3, 21, 10))
    chat = Harness(db)
    while await chat.dispatcher.dispatch_once():
        pass
    assert "Hvordan går det med dit skridt: Skriv dit CV færdigt?" in chat.channel.sent[-1].text
    reply = await chat.tap("Det har jeg gjort")
    assert "Godt gået!" in reply[-1].text
    assert await _done_titles(db) == ["Skriv dit CV færdigt"]


async def test_a_forged_milestone_choice_changes_nothing(db: Database) -> None:
    """A button key naming another plan's milestone is refused, not obeyed."""
    world = await one_person(db)
    await _plan(db, world.person_id)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.tap("Jeg er færdig med et skridt")
    await chat.say("Skridt", choice="m999")
    assert await _done_titles(db) == []


async def test_with_no_open_steps_only_the_way_back_is_offered(db: Database) -> None:
    world = await one_person(db)
    await _plan(db, world.person_id)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.tap("Jeg er færdig med et skridt")
    await chat.tap("Søg ind på optagelse.dk")
    await chat.tap("Ja")
    await chat.tap("Jeg er færdig med et skridt")
    await chat.tap("Skriv dit CV færdigt")
    shown = await chat.tap("Ja")
    assert "Du har ingen skridt lige nu." in shown[-1].text
    # Nothing left to be done with, so that choice is not offered.
    assert "done" not in [c.key for c in shown[-1].choices]
    assert "Jeg er færdig med et skridt" not in [c.label for c in shown[-1].choices]
    reply = await chat.say("Jeg har søgt")
    assert reply[-1].text == "Du har ingen skridt lige nu."
