"""Crisis end to end through the Receiver: help text, urgent handoff, and the bot holds back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot.clock import clock
from bot.database import Database
from bot.demo import ensure_demo
from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity
from tests.support import Harness

CORPUS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "safety" / "corpus.yaml").read_text("utf-8")
)
pytestmark = pytest.mark.usefixtures("frozen_clock")


async def handoffs_of(db: Database, address: str) -> list[Handoff]:
    async with db.session() as session:
        identity = (await session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == address))).one()
        result = await session.exec(select(Handoff).where(
            Handoff.young_person_id == identity.young_person_id).order_by(col(Handoff.id)))
        return list(result.all())


async def test_every_corpus_message_gets_help_and_an_urgent_handoff(db: Database) -> None:
    await ensure_demo(db)
    entries = CORPUS["positives"] + CORPUS["gentle"]
    failures = []
    for number, entry in enumerate(entries):
        chat = Harness(db, address=f"crisis-{number:03d}")
        replies = await chat.say(entry["text"])
        ok = (len(replies) == 1 and "112" in replies[0].text
              and "Du er ikke alene" in replies[0].text and replies[0].choices == ())
        handoffs = await handoffs_of(db, chat.address)
        ok = ok and len(handoffs) == 1 and handoffs[0].urgent and handoffs[0].reason == "crisis"
        # No flow message afterwards: the bot waits for the human.
        ok = ok and await chat.say("menu") == [] and await chat.say("hej") == []
        if not ok:
            failures.append(entry["text"])
    assert failures == [], f"{len(failures)} of {len(entries)} failed"


async def test_help_reply_lists_lines_with_hours_and_the_contact_person(db: Database) -> None:
    await ensure_demo(db)
    chat = Harness(db, address="demo-sofie")
    [reply] = await chat.say("jeg orker ikke at leve mere")
    assert "Er du i fare lige nu? Ring 112." in reply.text
    assert "116 111" in reply.text and "Åben hele døgnet." in reply.text
    assert reply.text.count("\n- ") >= 2  # two or more help lines
    assert "Jeg har sagt det til Mette." in reply.text


async def test_bot_speaks_again_only_after_a_human_closes_the_handoff(db: Database) -> None:
    await ensure_demo(db)
    chat = Harness(db, address="demo-sofie")
    await chat.say("jeg vil dø")
    assert await chat.say("menu") == []
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
        handoff.status = "closed"
        session.add(handoff)
    assert await chat.say("menu") != []


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        # Tuesday 22:00 Copenhagen (21:00 UTC): read tomorrow morning.
        (datetime(2026, 3, 3, 21, 0, tzinfo=UTC), "i morgen kl. 08.00."),
        # Tuesday 05:00 local: read this morning, at opening time.
        (datetime(2026, 3, 3, 4, 0, tzinfo=UTC), "tirsdag kl. 08.00."),
        # Friday 18:00 local: nobody until Monday.
        (datetime(2026, 3, 6, 17, 0, tzinfo=UTC), "mandag kl. 08.00."),
        # Saturday noon.
        (datetime(2026, 3, 7, 11, 0, tzinfo=UTC), "mandag kl. 08.00."),
    ],
    ids=["weeknight", "early-morning", "friday-evening", "saturday"],
)
async def test_outside_working_hours_says_when_and_repeats_the_lines(
    db: Database, local_time: datetime, expected: str
) -> None:
    await ensure_demo(db)
    clock.set(local_time)
    chat = Harness(db, address="demo-sofie")
    [reply] = await chat.say("jeg vil ikke leve mere")
    assert "Vi har lukket nu. En medarbejder ser din besked " + expected in reply.text
    assert "Jeg har sagt det til" not in reply.text
    # The lines are given once more after the closing notice.
    closing = reply.text.split("Vi har lukket nu.")[1]
    assert "Ring 112" in closing and "116 111" in closing
    [handoff] = await handoffs_of(db, "demo-sofie")
    assert handoff.urgent


async def test_english_speaker_gets_english_help(db: Database) -> None:
    await ensure_demo(db)
    chat = Harness(db, address="demo-ahmed")
    async with db.session() as session:
        from bot.people.models import YoungPerson

        for person in (await session.exec(select(YoungPerson))).all():
            person.language = "en"
            session.add(person)
    [reply] = await chat.say("I want to kill myself")
    assert "You are not alone" in reply.text and "112" in reply.text


async def test_crisis_while_a_handoff_is_open_is_answered_and_made_urgent(db: Database) -> None:
    await ensure_demo(db)
    chat = Harness(db, address="demo-sofie")
    await chat.say("hej")
    await chat.say("kontakt")
    assert await chat.say("hallo?") == []  # a human holds the chat
    [reply] = await chat.say("jeg har taget en masse piller")
    assert "112" in reply.text
    [handoff] = await handoffs_of(db, "demo-sofie")
    assert handoff.urgent and handoff.reason == "crisis"
    assert handoff.detail.startswith("acute_danger:")


async def test_crisis_after_stop_is_still_answered(db: Database) -> None:
    await ensure_demo(db)
    chat = Harness(db, address="demo-sofie")
    await chat.say("hej")
    await chat.say("STOP")
    assert await chat.say("hej") == []
    [reply] = await chat.say("jeg vil dø")
    assert "112" in reply.text
    [handoff] = await handoffs_of(db, "demo-sofie")
    assert handoff.urgent
    assert await chat.say("menu") == []  # still opted out and held for a human
