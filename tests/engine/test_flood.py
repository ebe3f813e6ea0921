"""A young person sending far faster than anyone reads (issue 17, defect 7; acceptance 6):
200 messages in a minute from one number give at most the municipality's limit of answers
and one notice, every crisis among them is answered, every message is stored; the next
minute the bot answers again."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.clock import clock
from bot.conversation.models import INBOUND, Message
from bot.database import Database
from tests.support import Harness
from tests.world import SERVICE, SOFIE, channel_identity, conversation, municipality, young_person

LIMIT = 20  # bot/municipalities/models.py: inbound_per_minute
NOTICE = "Du skriver meget hurtigt. Jeg svarer igen om et minut. Er det akut, så ring 112."
ORDINARY = ["menu", "1", "hej", "hvad sker der", "2", "?", "hjælp", "kontakt", "lol"]
CRISES = ["jeg vil dø", "min far slår mig lige nu", "jeg har taget alle pillerne"]


async def stored_inbound(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(Message).where(Message.direction == INBOUND)
        return (await session.exec(query)).one()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_flood_is_answered_once_and_a_crisis_always(
    db: Database, frozen_clock: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    async with db.session() as session:
        service = await municipality(session, name=SERVICE, code="ungeby")
        person = await young_person(session, service, birth_year=2008)
        await channel_identity(session, person, address=SOFIE)
        await conversation(session, person)
    chat = Harness(db, address=SOFIE)
    crisis_at = set(rng.sample(range(30, 200), 5))
    answers, notices, crisis_answered = 0, 0, 0
    for n in range(200):
        clock.advance(timedelta(milliseconds=250))  # 200 messages in 50 seconds
        text = rng.choice(CRISES) if n in crisis_at else rng.choice(ORDINARY)
        replies = await chat.say(text)
        if n in crisis_at:
            assert replies, f"crisis message {n} got no answer"
            crisis_answered += 1
        else:
            notices += sum(r.text == NOTICE for r in replies)
            answers += sum(r.text != NOTICE for r in replies)
    assert await stored_inbound(db) == 200
    assert crisis_answered == 5
    assert notices == 1
    # The first LIMIT messages are answered as ever (a crisis among them counts towards it).
    assert answers <= LIMIT
    clock.advance(timedelta(minutes=1, seconds=1))
    [menu] = await chat.say("menu")
    assert menu.choices, "a minute later the bot answers again"
