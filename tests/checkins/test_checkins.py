"""Check-ins: asked on schedule, answered 1-5, risk rules, pause until start, another day."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.checkins import scheduled, service
from bot.checkins.models import Checkin, CheckinSchedule
from bot.checkins.risk import load_rules, rules
from bot.clock import clock
from bot.database import Database
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson
from bot.plans import changes
from tests.support import ENGINE, Harness
from tests.world import CPH, local, one_person, outbox_count


@pytest.fixture(autouse=True)
def _clock():  # type: ignore[no-untyped-def]
    clock.set(local(2026, 3, 2, 9))  # Monday morning
    yield
    clock.reset()


async def _setup(db: Database, address: str = "visitor-1") -> int:
    world = await one_person(db, address=address)
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        town = await session.get(Municipality, world.town_id)
        assert person is not None and town is not None
        await changes.set_goal(session, person=person, goal="Starte på tømrer", now=clock.now())
        schedule = await service.ensure_schedule(
            session, person=person, municipality=town, now=clock.now()
        )
        # Default: weekly, Wednesday 15:00 local.
        assert schedule.next_at == local(2026, 3, 4, 15)
    return world.person_id


async def _ask(db: Database, chat: Harness) -> str:
    now = clock.now()
    async with db.session() as session:
        schedule = (await session.exec(select(CheckinSchedule))).one()
        assert schedule.next_at is not None
    clock.set(max(now, schedule.next_at))
    await scheduled.sweep_checkins(db, ENGINE, clock.now())
    while await chat.dispatcher.dispatch_once():
        pass
    return chat.channel.sent[-1].text


async def test_answers_two_then_one_raise_the_risk_flag(db: Database) -> None:
    person_id = await _setup(db)
    chat = Harness(db)
    question = await _ask(db, chat)
    assert question.startswith("Hvordan går det med dit mål: Starte på tømrer?")
    reply = await chat.say("2")
    assert "Vil du skrive mere om, hvordan det går?" in reply[-1].text
    await chat.tap("Nej tak")
    await _ask(db, chat)
    reply = await chat.tap("Meget dårligt")
    assert "Jeg har bedt din kontaktperson om at skrive til dig" in reply[-1].text
    # A human holds the conversation now: no buttons that would get no answer.
    assert reply[-1].choices == ()
    assert await chat.say("Det er bare svært lige nu") == []  # it waits in the inbox
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        assert person is not None and person.risk_flag_at == local(2026, 3, 11, 15)
        assert person.risk_reason == rules().low_scores.reason
        handoff = (await session.exec(select(Handoff))).one()
        assert (handoff.reason, handoff.detail) == ("risk", rules().low_scores.reason)
        scores = [c.score for c in await service.history(session, person_id=person_id)]
        assert scores == [2, 1]


async def test_words_about_stopping_school_raise_the_flag(db: Database) -> None:
    person_id = await _setup(db)
    chat = Harness(db)
    await _ask(db, chat)
    await chat.say("4")
    reply = await chat.say("Jeg tror jeg dropper ud af skolen")
    assert "Jeg har bedt din kontaktperson" in reply[-1].text
    async with db.session() as session:
        checkin = (await session.exec(select(Checkin))).one()
        assert (checkin.score, checkin.text) == (4, "Jeg tror jeg dropper ud af skolen")
        person = await session.get(YoungPerson, person_id)
        assert person is not None and person.risk_reason == rules().words.reason


async def test_three_unanswered_check_ins_raise_the_flag(db: Database) -> None:
    person_id = await _setup(db)
    chat = Harness(db)
    for _ in range(3):
        await _ask(db, chat)
    async with db.session() as session:
        assert (await session.exec(select(Handoff))).first() is None
        schedule = (await session.exec(select(CheckinSchedule))).one()
        clock.set(schedule.next_at)  # type: ignore[arg-type]
    result = await scheduled.sweep_checkins(db, ENGINE, clock.now())
    assert result.outcomes == {"flagged": 1}
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        assert (handoff.reason, handoff.detail) == ("risk", rules().no_answer.reason)
        assert len(await service.history(session, person_id=person_id)) == 3


async def test_pause_stops_check_ins_until_start(db: Database) -> None:
    await _setup(db)
    chat = Harness(db)
    reply = await chat.say("pause")
    assert "Du får ikke flere tjek-ind" in reply[-1].text
    clock.set(local(2026, 3, 25, 15))
    assert (await scheduled.sweep_checkins(db, ENGINE, clock.now())).outcomes == {}
    reply = await chat.say("START")
    assert (
        "Du får tjek-ind igen. Det næste kommer onsdag den 1. april 2026 kl. 15.00"
        in reply[-1].text
    )
    assert "Hvad vil du gerne?" in reply[-1].text
    clock.set(local(2026, 4, 1, 15))
    assert (await scheduled.sweep_checkins(db, ENGINE, clock.now())).outcomes == {"asked": 1}


async def test_change_the_day(db: Database) -> None:
    await _setup(db)
    chat = Harness(db)
    await _ask(db, chat)
    await chat.tap("Skift dag")
    reply = await chat.tap("Fredag")
    assert "Du får nu tjek-ind hver fredag" in reply[-1].text
    async with db.session() as session:
        schedule = (await session.exec(select(CheckinSchedule))).one()
        assert schedule.weekday == 4
        assert schedule.next_at == local(2026, 3, 6, 15)


async def test_two_check_in_sweeps_at_once_ask_once(db: Database) -> None:
    await _setup(db)
    clock.set(local(2026, 3, 4, 15))
    results = await asyncio.gather(
        scheduled.sweep_checkins(db, ENGINE, clock.now()),
        scheduled.sweep_checkins(db, ENGINE, clock.now()),
    )
    assert sum(r.outcomes.get("asked", 0) for r in results) == 1
    assert await outbox_count(db) == 1


async def test_next_time_is_local_wall_clock_across_dst(db: Database) -> None:
    schedule = CheckinSchedule(young_person_id=1, weekday=0, hour=15)
    after = local(2026, 10, 20, 12)  # Tuesday, summer time
    nxt = service.next_time(schedule, after=after, zone=CPH, after_send=True)
    assert nxt == local(2026, 10, 26, 15) and nxt.hour == 14  # UTC+1 after the change
    biweekly = CheckinSchedule(young_person_id=1, weekday=0, hour=15, cadence_days=14)
    assert service.next_time(biweekly, after=after, zone=CPH, after_send=True) == local(
        2026, 10, 26, 15
    ) + timedelta(days=7)


def test_risk_rules_load() -> None:
    loaded = load_rules()
    assert loaded.low_streak([1, 2, 5]) and not loaded.low_streak([3, 1])
    assert loaded.silent_streak([False, False, False]) and not loaded.silent_streak([False, True])
    assert loaded.mentions_stopping("Jeg vil STOPPE på skolen!")
    assert not loaded.mentions_stopping("Skolen går godt")
