"""Right of access in the chat: what we store, who sees it, and the offer of a full copy."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.checkins.models import Checkin
from bot.clock import utcnow
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import YoungPerson
from tests.support import Harness
from tests.world import AHMED, SOFIE, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def onboard(chat: Harness) -> None:
    await chat.say("hej")
    await chat.tap("Fortsæt")
    await chat.tap("OK")
    await chat.tap("da")


async def test_first_contact_explains_what_why_who_how_long_and_how_to_stop(
    db: Database,
) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    [privacy] = await chat.tap("Fortsæt")
    for part in (
        "Vi gemmer dit fornavn",
        "dine beskeder",  # what
        "loven om ungeindsats",  # why
        "Kun din kontaktperson og teamet",  # who
        "Vi sletter det 365 dage efter, at din sag er slut.",  # how long
        "Skriv STOP",
        "MINE DATA",
    ):  # how to stop, how to see it
        assert part in privacy.text


@pytest.mark.parametrize("question", ["hvad ved I om mig", "Hvad ved I om mig?", "mine data"])
async def test_what_do_you_know_about_me(db: Database, question: str) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await onboard(chat)
    async with db.session() as session:
        sofie = (
            await session.exec(select(YoungPerson).where(YoungPerson.first_name == "Sofie"))
        ).one()
        session.add(Checkin(young_person_id=sofie.id, score=4, text="fint", answered_at=utcnow()))
    [summary] = await chat.say(question)
    text = summary.text
    assert "- Navn: Sofie" in text
    assert "- Fødselsår: 2008" in text
    assert "- Sprog: Dansk" in text
    assert "- Du skriver på: chatten på hjemmesiden" in text
    assert "- Beskeder: 9" in text  # 4 from Sofie, 4 answers, this question
    assert "- Din uddannelsesplan: mål, skridt og møder" in text
    assert "- Svar på tjek-ind: 1" in text
    assert "Kun din kontaktperson og teamet" in text
    assert "Digital Post" in text
    assert [c.key for c in summary.choices] == ["send", "menu"]
    # Addresses are not repeated over the channel.
    assert SOFIE not in text

    [sent] = await chat.tap("send")
    assert "Jeg har bedt Mette om at sende dig alt" in sent.text
    async with db.session() as session:
        handoff = (await session.exec(select(Handoff))).one()
    assert handoff.reason == "data_request" and not handoff.urgent


async def test_declining_goes_back_to_the_menu(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await onboard(chat)
    await chat.say("hvad ved I om mig")
    [menu] = await chat.tap("Nej tak")
    assert "Hvad vil du gerne?" in menu.text
    async with db.session() as session:
        assert (await session.exec(select(Handoff))).all() == []


async def test_english_question_gets_an_english_summary(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=AHMED)
    await chat.say("hi")
    await chat.tap("next")
    await chat.tap("ok")
    await chat.tap("English")
    [summary] = await chat.say("What do you know about me?")
    assert "We have stored this about you:" in summary.text
    assert "- Name: Ahmed" in summary.text
    assert "Only your contact person" in summary.text


async def test_reachable_from_help(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await onboard(chat)
    await chat.say("hjælp")
    [summary] = await chat.tap("Hvad ved I om mig?")
    assert "Det har vi gemt om dig:" in summary.text
