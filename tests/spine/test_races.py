"""Races PostgreSQL shows: one open handoff, first contact, one conversation at a time.

On PostgreSQL the racers really overlap: a barrier holds every one of them after its read and
before its write, the moment a check-then-insert goes wrong. SQLite has one writer at a time,
so there the same calls run one after the other and must give the same result.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.audit.models import AuditEvent
from bot.clock import utcnow
from bot.conversation.engine import Engine, Restartable
from bot.conversation.models import INBOUND, ConversationState, Message
from bot.conversation.service import Receiver
from bot.conversation.turn import Reply, Turn
from bot.database import Database
from bot.handoff import operations
from bot.handoff import service as handoffs
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.people import service as people
from bot.people.models import ChannelIdentity, YoungPerson
from bot.reminders.models import Reminder
from bot.reminders.sweep import sweep_due
from bot.staff.models import StaffMember
from bot.wiring import build_registry
from channels.base import Inbound
from tests import world

RACERS = 6


def held_at_barrier(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, parties: int) -> None:
    """Make the first `parties` calls of `module.name` wait for each other before returning."""
    real = getattr(module, name)
    barrier = asyncio.Barrier(parties)
    calls = 0

    async def waiting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = await real(*args, **kwargs)
        if calls < parties:
            calls += 1
            await asyncio.wait_for(barrier.wait(), timeout=30)
        return result

    monkeypatch.setattr(module, name, waiting)


async def open_handoffs(db: Database, person_id: int) -> list[Handoff]:
    async with db.session() as session:
        rows = await session.exec(
            select(Handoff).where(
                Handoff.young_person_id == person_id, col(Handoff.status).in_(OPEN_STATUSES)
            )
        )
        return list(rows.all())


async def test_concurrent_open_handoff_calls_leave_one_open(
    db: Database, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = await world.one_person(db)
    if backend == "postgresql":
        # Every caller has found no open handoff before any of them inserts one.
        held_at_barrier(monkeypatch, handoffs, "responder", RACERS)

    async def open_one(n: int) -> int:
        async with db.session() as session:
            person = await session.get(YoungPerson, town.person_id)
            assert person is not None
            opened = await handoffs.open_handoff(
                session, person=person, reason="crisis" if n == 0 else "asked", urgent=n == 0
            )
            return opened.id or 0

    ids = await asyncio.wait_for(asyncio.gather(*(open_one(n) for n in range(RACERS))), 60)

    still_open = await open_handoffs(db, town.person_id)
    assert len(still_open) == 1
    assert set(ids) == {still_open[0].id}  # every caller got the open one
    assert still_open[0].urgent  # the crisis caller's priority was not lost


async def test_staff_and_bot_opening_at_once_leave_one_open(
    db: Database, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = await world.one_person(db)
    if backend == "postgresql":
        held_at_barrier(monkeypatch, handoffs, "active_handoff", 2)

    async def bot_opens() -> None:
        async with db.session() as session:
            person = await session.get(YoungPerson, town.person_id)
            assert person is not None
            await handoffs.open_handoff(session, person=person, reason="asked")

    async def staff_takes() -> None:
        async with db.session() as session:
            person = await session.get(YoungPerson, town.person_id)
            staff = await session.get(StaffMember, town.staff_id)
            assert person is not None and staff is not None
            await operations.take(session, staff=staff, person=person, now=utcnow())

    await asyncio.wait_for(asyncio.gather(bot_opens(), staff_takes()), 60)
    assert len(await open_handoffs(db, town.person_id)) == 1


async def test_concurrent_first_messages_from_one_new_number_are_all_answered(
    db: Database, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as session:
        await world.municipality(session)
    if backend == "postgresql":
        # Every message has found no identity for the number before any creates one.
        held_at_barrier(monkeypatch, people, "find_sender", RACERS)
    receiver = Receiver(db, Engine(build_registry()))
    inbounds = [
        Inbound(channel="sms", address="+4520123456", provider_id=f"SM{n}", text="hej")
        for n in range(RACERS)
    ]

    receipts = await asyncio.wait_for(asyncio.gather(*(receiver(i) for i in inbounds)), 60)

    assert [r.duplicate for r in receipts] == [False] * RACERS
    assert all(r.replies > 0 for r in receipts)
    async with db.session() as session:
        identities = (await session.exec(select(ChannelIdentity))).all()
        persons = (await session.exec(select(YoungPerson))).all()
        stored = (await session.exec(select(func.count()).select_from(Message))).one()
    assert len(identities) == 1 and len(persons) == 1
    assert {r.person_id for r in receipts} == {persons[0].id}
    assert stored >= RACERS  # every message stored, each with its answer


# --- one young person, everything at once -----------------------------------------------------

TURNS = "turns"  # how many turns changed the state: each adds one, in its own transaction


class CountingEngine(Engine):
    """The real engine, also counting in the state every turn it runs (answer or bot-started).

    A turn whose state write overwrote another's leaves the count short of the turns that
    were committed: the lost update made visible.
    """

    async def handle(self, turn: Turn) -> list[Reply]:
        self._count(turn.state)
        return await super().handle(turn)

    def restart(self, state: Restartable, data: Mapping[str, Any] | None, now: datetime) -> None:
        # Every bot-started turn, also each young person a sweep says a shared message to.
        super().restart(state, data, now)
        self._count(state)

    @staticmethod
    def _count(state: Restartable) -> None:
        state.data = {**state.data, TURNS: int(state.data.get(TURNS, 0)) + 1}


async def committed_turns(db: Database, person_id: int) -> tuple[int, int]:
    """(turns the database says were committed, turns the state counted)."""
    async with db.session() as session:

        async def count(statement: Any) -> int:
            return int((await session.exec(statement)).one())

        inbound = await count(
            select(func.count())
            .select_from(Message)
            .where(Message.young_person_id == person_id, Message.direction == INBOUND)
        )
        reminders = await count(
            select(func.count()).select_from(Reminder).where(Reminder.status == "sent")
        )
        # Handing back and closing each start a turn (they tell the young person).
        hand_backs = await count(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.young_person_id == person_id,
                col(AuditEvent.action).in_(("hand_back", "close")),
            )
        )
        state = await session.get(ConversationState, person_id)
        assert state is not None
        return inbound + reminders + hand_backs, int(state.data.get(TURNS, 0))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_one_person_never_loses_a_state_update_nor_gets_two_open_handoffs(
    db: Database, seed: int
) -> None:
    rng = random.Random(seed)
    now = utcnow()
    town = await world.one_person(db)
    async with db.session() as session:
        person = await session.get(YoungPerson, town.person_id)
        assert person is not None
        plan = await world.plan(session, person)
        meeting = await world.appointment(session, plan, starts_at=now + timedelta(days=7))
        for n in range(12):
            session.add(
                Reminder(
                    young_person_id=town.person_id,
                    kind="appointment",
                    target_id=meeting.id or 0,
                    offset_key=f"t{n}",
                    due_at=now - timedelta(minutes=n + 1),
                )
            )
    engine = CountingEngine(build_registry())
    receiver = Receiver(db, engine)
    texts = ["hej", "menu", "kontakt", "1", "2", "hvad er min plan", "ok tak", "hjælp"]

    async def inbound(n: int) -> object:
        return await receiver(
            Inbound(
                channel="web",
                address=town.address,
                provider_id=f"r{seed}-{n}",
                text=rng.choice(texts),
            )
        )

    async def sweep(_n: int) -> object:
        return await sweep_due(db, engine, utcnow(), batch=rng.choice([1, 3, 50]))

    def staff_action(name: str) -> Callable[[int], Awaitable[object]]:
        async def act(n: int) -> object:
            async with db.session() as session:
                staff = await session.get(StaffMember, town.staff_id)
                who = await session.get(YoungPerson, town.person_id)
                assert staff is not None and who is not None
                try:
                    if name == "reply":
                        return await operations.reply(
                            session, staff=staff, person=who, text=f"svar {n}", now=utcnow()
                        )
                    if name == "hand_back":
                        return await operations.hand_back(
                            session, staff=staff, person=who, now=utcnow(), engine=engine
                        )
                    if name == "close":
                        return await operations.close(
                            session, staff=staff, person=who, now=utcnow(), engine=engine
                        )
                    return await operations.take(session, staff=staff, person=who, now=utcnow())
                except operations.Refused:
                    return None  # nothing open to hand back or close just then

        return act

    actions: list[Callable[[int], Awaitable[object]]] = [
        inbound,
        inbound,
        inbound,
        inbound,
        sweep,
        staff_action("take"),
        staff_action("reply"),
        staff_action("hand_back"),
        staff_action("close"),
    ]
    for wave in range(3):
        batch = [rng.choice(actions) for _ in range(14)]
        await asyncio.wait_for(
            asyncio.gather(*(act(wave * 100 + n) for n, act in enumerate(batch))), 120
        )
        assert len(await open_handoffs(db, town.person_id)) <= 1

    committed, counted = await committed_turns(db, town.person_id)
    assert committed > 0
    assert counted == committed
