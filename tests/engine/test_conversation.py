"""The engine end to end through the outbox: onboarding, menu, plan, help, stop, start."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.conversation.models import Message
from bot.database import Database
from bot.handoff.models import Handoff
from channels.base import Outbound
from tests.support import Harness
from tests.world import AHMED, PLACE, SERVICE, SOFIE, SOFIE_GOAL, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


def offers_a_way_on(message: Outbound) -> bool:
    """A bot message either offers choices or says a human has the conversation."""
    return bool(message.choices)


async def test_danish_walkthrough(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    seen: list[Outbound] = []

    welcome = await chat.say("hej")
    assert len(welcome) == 1
    assert f"ungeindsatsen i {SERVICE}" in welcome[0].text
    seen += welcome
    seen += await chat.tap("Fortsæt")
    assert "Vi gemmer dit fornavn" in seen[-1].text
    seen += await chat.tap("OK")
    assert "Hvilket sprog" in seen[-1].text
    assert {"da", "en"} <= {c.key for c in seen[-1].choices}
    seen += await chat.tap("da")
    # Sofie's name is known from her contact person, so the name question is skipped.
    assert "Hvad vil du gerne?" in seen[-1].text
    seen += await chat.tap("Min plan")
    plan = seen[-1].text
    assert f"Dit mål: {SOFIE_GOAL}" in plan
    assert "Søg ind på optagelse.dk (senest " in plan
    assert "marts 2026" in plan  # Danish month names from Babel
    seen += await chat.say("hjælp")
    assert "Ring 112" in seen[-1].text
    seen += await chat.say("menu")
    seen += await chat.tap("Mit næste møde")
    assert "fredag den 6. marts 2026 kl. 10.00" in seen[-1].text
    assert PLACE in seen[-1].text
    assert all(offers_a_way_on(m) for m in seen), [m.text for m in seen if not m.choices]

    stopped = await chat.say("STOP")
    assert "Du får ikke flere beskeder" in stopped[0].text
    assert await chat.say("hallo?") == []  # silence after STOP
    back = await chat.say("start")
    assert "Velkommen tilbage" in back[0].text and offers_a_way_on(back[0])


async def test_english_walkthrough(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=AHMED)
    seen = await chat.say("hi")
    seen += await chat.tap("next")
    seen += await chat.tap("ok")
    seen += await chat.tap("English")
    assert "What would you like to do?" in seen[-1].text
    seen += await chat.tap("plan")
    assert "Your goal:" in seen[-1].text
    assert "(by " in seen[-1].text and "2026" in seen[-1].text
    seen += await chat.say("help")
    assert "Call 112" in seen[-1].text
    seen += await chat.say("menu")
    seen += await chat.tap("appointment")
    assert "Saturday, March 7, 2026 at 10:00" in seen[-1].text
    assert all(offers_a_way_on(m) for m in seen)
    stopped = await chat.say("stop")
    assert "You will not get any more messages" in stopped[0].text
    assert await chat.say("?") == []
    back = await chat.say("yes")
    assert "Welcome back" in back[0].text


async def test_new_person_gives_a_name(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address="someone-new")
    await chat.say("hej")
    await chat.tap("Fortsæt")
    await chat.tap("OK")
    ask = await chat.tap("Dansk")
    assert "Hvad vil du gerne kaldes?" in ask[0].text
    done = await chat.say("Yasmin 🌙")
    assert "Tak. Nu kan du bruge chatten." in done[0].text
    async with db.session() as session:
        from bot.people.models import YoungPerson

        names = (await session.exec(select(YoungPerson.first_name))).all()
    assert "Yasmin 🌙" in names


async def test_two_misses_offer_a_human(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    first = await chat.say("bananer")
    assert first[0].text.startswith("Det forstod jeg ikke")
    assert [c.key for c in first[0].choices] == ["next", "menu"]
    second = await chat.say("æbler")
    assert "Vil du skrive med et menneske?" in second[0].text
    handed = await chat.say("ja")
    assert "Mette" in handed[0].text
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
    assert handoff.reason == "not_understood" and handoff.assignee_id is not None
    # The bot steps aside while a human holds the conversation.
    assert await chat.say("er der nogen?") == []


async def test_numbers_answer_choices(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    assert "Vi gemmer" in (await chat.say("1"))[0].text


async def test_media_without_text_gets_a_short_reply(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    reply = await chat.say("", has_media=True)
    assert reply[0].text == "Jeg kan kun læse tekst. Skriv gerne med ord."
    assert reply[0].choices


async def test_duplicate_inbound_is_stored_once_and_answered_once(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    first = await chat.say("hej", provider_id="same-id")
    again = await chat.say("hej", provider_id="same-id")
    assert len(first) == 1 and again == []
    async with db.session() as session:
        rows = (await session.exec(select(Message).where(Message.direction == "in"))).all()
    assert len(rows) == 1
