"""Property: whatever a young person, the staff and the clock do, the bot is never silent.

Random sequences of messages (ordinary, questions, keywords, crisis and worrying messages,
numbers, emoji, right-to-left text), button presses, staff actions (take, reply, close,
transfer, hand back, move a meeting), messages the bot starts (a meeting reminder, "Vi
savnede dig") and clock jumps (minutes, nights, weekends). Each young person has a meeting and
their contact person free times, so button presses walk into "Jeg kan ikke komme", its
reasons, the free times and the move. After each inbound:

- the young person got at least one message, unless a human holds the conversation and
  they were told so (or written to) within the last ten minutes, or they opted out with STOP
  (and even then a crisis message is answered);
- a message that asks them to choose shows choices;
- no message names an option it does not offer;
- the replies of one turn never contradict each other (praise and "could not find").

Each sequence has its own seed; a failure prints the seed and the steps to replay it. The
sequences run in SHARDS parts (one test each, a database each) so they spread over the
xdist workers: together the parts run every sequence of INDGANG_PROPERTY_SQLITE (2000) and
INDGANG_PROPERTY_POSTGRESQL (500), with the same seeds.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import clock
from bot.conversation.state import locked_state
from bot.conversation.turn import Turn
from bot.database import Database
from bot.handoff import operations
from bot.handoff import service as handoffs
from bot.municipalities.models import Municipality
from bot.outbox.service import enqueue
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.plans import changes, slots
from bot.reminders import missed, notices
from bot.safety.screen import screen
from bot.staff.models import StaffMember
from channels.base import Outbound
from tests.safety.evaluation import load
from tests.support import Harness
from tests.world import channel_identity, conversation, young_person, youth_service

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ACK_WINDOW = timedelta(minutes=10)
SEQUENCES = {
    "sqlite": int(os.environ.get("INDGANG_PROPERTY_SQLITE", "2000")),
    "postgresql": int(os.environ.get("INDGANG_PROPERTY_POSTGRESQL", "500")),
}
# The sequences of each backend run in this many parts, each on a database of its own, so
# the parts spread over the xdist workers; together they run every sequence, seeds unchanged.
SHARDS = 8

ORDINARY = [
    "hej",
    "ok",
    "tak",
    "bananer",
    "hvornår er mit møde?",
    "hvad er min plan",
    "jeg har IKKE skrevet mit cv færdigt endnu",
    "jeg har søgt",
    "1",
    "2",
    "3",
    "9",
    "ja",
    "nej",
    "👍",
    "🙂🙂🙂",
    "مرحبا، متى موعدي؟",
    "when is my meeting",
    "kan du flytte mit møde",
    "",
    "jeg ved det ikke",
    "Skriv dit CV færdigt",
]
KEYWORDS = [
    "menu",
    "hjælp",
    "kontakt",
    "sprog",
    "min plan",
    "hvad ved I om mig",
    "start",
    "stop",
    "pause",
]
_crisis = [m["text"] for m in load("tune") if m["label"] == "crisis"]
CRISIS = [t for t in _crisis if (m := screen(t)) is not None and not m.gentle][:60]
GENTLE = ["jeg kan ikke mere", "jeg er bange", "ingen vil savne mig", "min far slår mig ikke"]

# "Vælg en af mulighederne" / "Du kan også vælge Nej tak": asking to choose, or naming a choice.
ASKS_TO_CHOOSE = re.compile(r"\b(vælg|choose)\b", re.IGNORECASE)
NAMES_OPTION = re.compile(
    r"\b(?:vælge|choose|pick|tryk på|press)\s+(?!one of|en af)"
    r"([A-ZÆØÅ][\w ]{1,30}?)[.,!]",
    re.IGNORECASE,
)
PRAISE = ("Godt gået", "Well done")
FAILURE = ("kunne ikke finde", "could not find", "couldn't find")


@dataclass
class World:
    """One young person, the staff, and what the test has seen."""

    harness: Harness
    person_id: int
    municipality: Municipality
    mette: StaffMember
    ali: StaffMember
    opted_out: bool = False
    appointment_id: int = 0
    last_out_at: datetime | None = None
    steps: list[str] = field(default_factory=list)


async def _new_person(db: Database, n: int, rng: random.Random) -> World:
    async with db.session() as session:
        town = (await session.exec(select(Municipality))).one()
        mette = (
            await session.exec(select(StaffMember).where(StaffMember.role == "contact_person"))
        ).first()
        ali = (
            await session.exec(select(StaffMember).where(StaffMember.role == "team_lead"))
        ).first()
        assert town.id is not None and mette is not None and ali is not None
        person = await young_person(
            session,
            town,
            first_name=f"Ung{n}",
            birth_year=rng.choice([2002, 2006, 2009, 2011]),
            language=rng.choice(["da", "da", "en"]),
            contact=mette,
        )
        address = f"prop-{n}-{rng.randrange(10**9)}"
        await channel_identity(session, person, address=address)
        await conversation(session, person, step="")
        meeting = await changes.add_appointment(
            session,
            person=person,
            starts_at=clock.now() + timedelta(days=rng.randint(2, 5), minutes=n),
            place="Ungeindsatsen, Torvet 1",
            bring=rng.choice(["", "dit sundhedskort"]),
            now=clock.now(),
        )
        for days in range(rng.choice([0, 1, 4])):  # sometimes no free time at all
            await slots.publish(
                session,
                staff=mette,
                starts_at=clock.now() + timedelta(days=3 + days, minutes=n),
                place="Torvet 1",
                now=clock.now(),
            )
        person_id = person.id
    world = World(Harness(db, address=address), person_id, town, mette, ali)
    world.appointment_id = meeting.id or 0
    return world


def _problems(world: World, did: str, got: list[Outbound], held: bool) -> list[str]:
    found = []
    now = clock.now()
    covered = held and world.last_out_at is not None and now - world.last_out_at < ACK_WINDOW
    crisis = (m := screen(did)) is not None and not m.gentle
    if not got and not covered and not (world.opted_out and not crisis):
        found.append(f"silent after {did!r} (human holds: {held})")
    for out in got:
        labels = {c.label.casefold() for c in out.choices}
        if ASKS_TO_CHOOSE.search(out.text) and not out.choices:
            found.append(f"asks to choose without choices: {out.text!r}")
        for named in NAMES_OPTION.findall(out.text):
            if named.strip().casefold() not in labels:
                found.append(f"names option {named!r} it does not offer: {out.text!r}")
    texts = " ".join(o.text for o in got)
    if any(p in texts for p in PRAISE) and any(f in texts for f in FAILURE):
        found.append(f"contradictory replies: {[o.text for o in got]!r}")
    return found


async def _held(db: Database, person_id: int) -> bool:
    async with db.session() as session:
        return await handoffs.active_handoff(session, person_id=person_id) is not None


async def _staff_act(db: Database, world: World, rng: random.Random) -> str:
    act = rng.choice(["take", "reply", "reply", "close", "transfer", "hand_back", "move"])
    now = clock.now()
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None
        staff = rng.choice([world.mette, world.ali])
        try:
            if act == "take":
                await operations.take(session, staff=staff, person=person, now=now)
            elif act == "move":
                await notices.staff_change(
                    session,
                    person=person,
                    appointment_id=world.appointment_id,
                    staff=staff,
                    engine=world.harness.receiver.engine,
                    now=now,
                    starts_at=now + timedelta(days=rng.randint(1, 4)),
                    status="planned",
                )
            elif act == "reply":
                await operations.reply(
                    session, staff=staff, person=person, text="Hej, det er Mette.", now=now
                )
            elif act == "close":
                await operations.close(
                    session,
                    staff=staff,
                    person=person,
                    now=now,
                    engine=world.harness.receiver.engine,
                )
            elif act == "transfer":
                other = world.ali if staff is world.mette else world.mette
                await operations.assign(
                    session,
                    staff=staff,
                    person=person,
                    to=other.id or 0,
                    now=now,
                    engine=world.harness.receiver.engine,
                )
            else:
                await operations.hand_back(
                    session,
                    staff=staff,
                    person=person,
                    now=now,
                    engine=world.harness.receiver.engine,
                )
        except operations.Refused:
            return f"staff {act}: refused"
    before = len(world.harness.channel.sent)
    while await world.harness.dispatcher.dispatch_once():
        pass
    if len(world.harness.channel.sent) > before:
        world.last_out_at = clock.now()
    return f"staff {act}"


async def _bot_starts(db: Database, world: World, rng: random.Random) -> Outbound | None:
    """A meeting reminder falls due, or "Vi savnede dig" goes out: as the sweeps start them."""
    kind = rng.choice(["reminder", "missed"])
    async with db.session() as session:
        if kind == "missed":
            await missed.follow_up_one(
                session, world.harness.receiver.engine, world.appointment_id, clock.now(), send=True
            )
        else:
            await _remind(session, world)
    before = len(world.harness.channel.sent)
    while await world.harness.dispatcher.dispatch_once():
        pass
    got = world.harness.channel.sent[before:]
    world.steps.append(f"bot {kind}")
    if got:
        world.last_out_at = clock.now()
    return got[-1] if got else None


async def _remind(session: AsyncSession, world: World) -> None:
    """What the reminder sweep does for one due meeting reminder (bot/reminders/sweep.py)."""
    person = await session.get_one(YoungPerson, world.person_id)
    identity = await people.preferred_identity(session, person_id=world.person_id)
    state = await locked_state(session, world.person_id)
    if identity is None or state is None:
        return
    turn = Turn.started(
        session,
        person=person,
        identity=identity,
        municipality=await session.get_one(Municipality, person.municipality_id),
        state=state,
        now=clock.now(),
    )
    replies = await world.harness.receiver.engine.start(
        turn, "reminder.appointment", data={"appointment_id": world.appointment_id}
    )
    for reply in replies:
        await enqueue(
            session, identity=identity, text=reply.text, now=clock.now(), choices=reply.choices
        )


def _jump(rng: random.Random) -> str:
    kind = rng.choice(["1m", "11m", "3h", "night", "weekend"])
    if kind == "1m":
        clock.advance(timedelta(minutes=1))
    elif kind == "11m":
        clock.advance(timedelta(minutes=11))
    elif kind == "3h":
        clock.advance(timedelta(hours=3))
    else:
        local = clock.now().astimezone(COPENHAGEN)
        day = local.date() + timedelta(days=1)
        if kind == "weekend":
            while day.weekday() != 5:
                day += timedelta(days=1)
        hour = 23 if kind == "night" else 10
        moment = datetime(day.year, day.month, day.day, hour, 30, tzinfo=COPENHAGEN)
        clock.set(max(moment, clock.now() + timedelta(minutes=1)))
    return f"clock +{kind}"


def _message(rng: random.Random, last: Outbound | None) -> tuple[str, str | None]:
    roll = rng.random()
    if last is not None and last.choices and roll < 0.35:
        choice = rng.choice(last.choices)
        return choice.label, choice.key
    if roll < 0.6:
        return rng.choice(ORDINARY), None
    if roll < 0.8:
        return rng.choice(KEYWORDS), None
    if roll < 0.9:
        return rng.choice(GENTLE), None
    return rng.choice(CRISIS), None


async def _sequence(db: Database, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 7, 0, tzinfo=UTC) + timedelta(minutes=rng.randrange(7 * 24 * 60))
    clock.set(start)
    world = await _new_person(db, n, rng)
    last: Outbound | None = None
    for _ in range(rng.randint(3, 9)):
        roll = rng.random()
        if roll < 0.2:
            world.steps.append(await _staff_act(db, world, rng))
            continue
        if roll < 0.3:
            world.steps.append(_jump(rng))
            continue
        if roll < 0.4:
            last = await _bot_starts(db, world, rng) or last
            continue
        text, choice = _message(rng, last)
        held = await _held(db, world.person_id)
        got = await world.harness.say(text, choice=choice)
        world.steps.append(f"young {text!r}" + (f" [{choice}]" if choice else ""))
        if text.strip().casefold() == "stop":
            world.opted_out = True
        elif text.strip().casefold() == "start":
            world.opted_out = False
        if got:
            world.last_out_at = clock.now()
            last = got[-1]
        problems = _problems(world, text, got, held)
        if problems:
            return [f"seed {seed}: {p}" for p in problems] + ["  steps: " + " | ".join(world.steps)]
    return []


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda k: f"part{k + 1}of{SHARDS}")
async def test_never_silent_never_a_missing_choice(db: Database, backend: str, shard: int) -> None:
    await youth_service(db)
    total = SEQUENCES[backend]
    failures: list[str] = []
    try:
        for n in range(total * shard // SHARDS, total * (shard + 1) // SHARDS):
            failures += await _sequence(db, n, seed=1000 + n)
            if len(failures) > 20:
                break
    finally:
        clock.reset()
    assert not failures, "\n".join(failures)


def test_the_parts_cover_every_sequence_once() -> None:
    for total in (*SEQUENCES.values(), 1, 7, 2001):
        covered = [
            n
            for shard in range(SHARDS)
            for n in range(total * shard // SHARDS, total * (shard + 1) // SHARDS)
        ]
        assert covered == list(range(total))
