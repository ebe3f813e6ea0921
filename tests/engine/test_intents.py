"""Questions and wishes in free text reach their step from anywhere, before a step reads them.

"hvornår er mit møde?" shows the next meeting whether the young person is at the menu, on
the plan, in a check-in or being asked for their name; it is never stored as an answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.checkins.models import Checkin
from bot.conversation.intents import answer_of, intent_of, is_negated, is_question
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity, YoungPerson
from tests.support import Harness
from tests.world import OnePerson, local, one_person

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hvornår er mit møde?", "appointment"),
        ("Hvornår skal jeg til møde", "appointment"),
        ("hvonår er mødet", "appointment"),  # a typo and an ending
        ("mit møde, hvornår er det?", "appointment"),  # another word order
        ("when is my meeting", "appointment"),
        ("When is my next meeting?", "appointment"),
        ("hvad skal jeg nu", "plan"),
        ("hvad er min plan?", "plan"),
        ("Hvad er planen", "plan"),
        ("what's my plan", "plan"),
        ("jeg vil tale med min kontaktperson", "contact"),
        ("kan jeg skrive med et menneske", "contact"),
        ("jeg vil gerne snakke med min kontaktpreson", "contact"),
        ("hjælp mig", "help"),
        ("Hjælp mig!!", "help"),
        ("stop med at skrive", "stop"),
        ("STOP med at skrive til mig", "stop"),
        ("kan du skrive engelsk", "language"),
        ("kan du skrive på engelsk?", "language"),
        ("Can you write in English", "language"),
        # Not an intent.
        ("jeg vil ikke tale med min kontaktperson", None),  # contact, unless negated
        ("jeg er stoppet med at skrive mit cv", None),
        ("jeg har søgt", None),
        ("hej", None),
        ("møde", None),
        ("", None),
    ],
)
def test_intent_matching(text: str, intent: str | None) -> None:
    found = intent_of(text)
    assert (found.name if found else None) == intent


def test_reading_helpers() -> None:
    assert is_negated("jeg har IKKE søgt") and is_negated("I haven't") and is_negated("ik")
    assert not is_negated("jeg har søgt") and not is_negated("ikkesøgt")
    assert is_question("har jeg søgt?") and is_question("hvornår holder I åbent")
    assert not is_question("jeg har søgt")
    assert answer_of("Ja tak!") == "yes" and answer_of("nope") == "no"
    assert answer_of("ja men") is None
    # Where a step asks for free text, an answer that mentions a phrase stays an answer.
    long = "jeg har brug for hjælp, jeg dropper ud af skolen"
    assert intent_of(long) is not None and intent_of(long, tight=True) is None
    assert intent_of("hvornår er mit møde?", tight=True) is not None


async def _place(
    db: Database,
    world: OnePerson,
    ref: str,
    data: dict[str, Any] | None = None,
    *,
    first_name: str | None = "Sofie",
) -> None:
    async with db.session() as session:
        state = await session.get(ConversationState, world.person_id)
        person = await session.get(YoungPerson, world.person_id)
        assert state is not None and person is not None
        state.flow, _, state.step = ref.partition(".")
        state.data, state.misses = dict(data or {}), 0
        person.first_name = first_name
        session.add_all([state, person])


async def _where(db: Database, world: OnePerson) -> tuple[str, dict[str, Any]]:
    async with db.session() as session:
        state = await session.get(ConversationState, world.person_id)
        assert state is not None
        return f"{state.flow}.{state.step}", dict(state.data)


async def _handoffs(db: Database) -> list[Handoff]:
    async with db.session() as session:
        return list((await session.exec(select(Handoff))).all())


# (where the young person is, what they write, where they land, a bit of the reply)
FROM_ANYWHERE = [
    ("menu.main", "hvornår er mit møde?", "plan.appointment", "Du har ingen møder"),
    ("plan.show", "hvornår skal jeg til møde", "plan.appointment", "Du har ingen møder"),
    ("checkin.comment", "hvornår er mit møde?", "plan.appointment", "Du har ingen møder"),
    ("onboarding.name", "hvornår er mit møde?", "plan.appointment", "Du har ingen møder"),
    ("handback.ask", "hvad skal jeg nu", "plan.show", "Du har ikke en plan endnu"),
    ("contact.offer", "hvad er min plan", "plan.show", "Du har ikke en plan endnu"),
    ("plan.confirm", "hjælp mig", "help.main", "Indgang er kommunens chat"),
    ("reminder.appointment", "kan du skrive engelsk", "settings.language", "Hvilket sprog"),
    ("privacy.summary", "stop med at skrive", "settings.stop", "Vil du stoppe"),
    ("help.main", "kan jeg skrive med et menneske", "contact.open", "Mette"),
    ("checkin.ask", "jeg vil tale med min kontaktperson", "contact.open", "Mette"),
]


@pytest.mark.parametrize(("start", "text", "lands", "says"), FROM_ANYWHERE)
async def test_intents_from_anywhere(
    db: Database, start: str, text: str, lands: str, says: str
) -> None:
    world = await one_person(db)
    await _place(db, world, start, first_name=None if start == "onboarding.name" else "Sofie")
    reply = await Harness(db).say(text)
    where, data = await _where(db, world)
    assert where == lands
    assert len(reply) == 1 and says in reply[0].text
    # A question is never kept as the step's answer.
    assert text not in [str(value) for value in data.values()]
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None and person.first_name in (None, "Sofie")
        assert (await session.exec(select(Checkin))).first() is None
    assert bool(await _handoffs(db)) == (lands == "contact.open")


async def test_a_choice_of_the_step_wins_over_an_intent(db: Database) -> None:
    """'Jeg har brug for hjælp' is a button on a milestone reminder: it goes to a human."""
    world = await one_person(db)
    await _place(db, world, "reminder.milestone")
    await Harness(db).say("jeg har brug for hjælp")
    assert (await _where(db, world))[0] == "contact.open"
    assert [h.reason for h in await _handoffs(db)] == ["asked"]


async def test_a_question_is_not_a_name(db: Database) -> None:
    world = await one_person(db)
    await _place(db, world, "onboarding.name", first_name=None)
    reply = await Harness(db).say("hvorfor vil I vide det?")
    assert reply[0].text.startswith("Det forstod jeg ikke")
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None and person.first_name is None


async def test_a_check_in_answer_that_mentions_help_is_kept(db: Database) -> None:
    """A long answer is an answer: it is stored, and its risk words still count."""
    world = await one_person(db)
    await _place(db, world, "checkin.comment")
    await Harness(db).say("jeg har brug for hjælp, jeg dropper ud af skolen")
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        assert person is not None and person.risk_flag_at is not None
    assert [h.reason for h in await _handoffs(db)] == ["risk"]


async def test_not_wanting_a_human_opens_no_handoff(db: Database) -> None:
    world = await one_person(db)
    await _place(db, world, "menu.main")
    await Harness(db).say("jeg vil ikke tale med min kontaktperson")
    assert await _handoffs(db) == []


async def _opted_out(db: Database) -> bool:
    async with db.session() as session:
        identity = (await session.exec(select(ChannelIdentity))).one()
        return identity.opted_out_at is not None


async def test_stop_in_words_asks_first(db: Database) -> None:
    world = await one_person(db)
    await _place(db, world, "plan.show")
    chat = Harness(db)
    asked = await chat.say("stop med at skrive til mig")
    assert asked[0].text.startswith("Vil du stoppe med at få beskeder fra os?")
    assert [c.label for c in asked[0].choices] == ["Ja, stop beskederne", "Nej"]
    assert not await _opted_out(db)
    kept = await chat.tap("Nej")
    assert "Hvad vil du gerne?" in kept[0].text and not await _opted_out(db)
    await chat.say("stop med at skrive til mig")
    stopped = await chat.say("ja")
    assert [m.text for m in stopped] == [
        "Du får ikke flere beskeder fra os. Skriv START, hvis du vil have beskeder igen."
    ]
    assert await _opted_out(db)
    assert await chat.say("hallo?") == []  # silence, as after the keyword STOP
    back = await chat.say("START")
    assert "Velkommen tilbage" in back[0].text and not await _opted_out(db)


async def test_the_bare_keyword_stop_still_stops_at_once(db: Database) -> None:
    world = await one_person(db)
    await _place(db, world, "plan.show")
    reply = await Harness(db).say("STOP")
    assert reply[0].text.startswith("Du får ikke flere beskeder fra os.")
    assert await _opted_out(db)


@pytest.mark.parametrize(
    ("text", "lands"),
    [
        ("when is my meeting", "plan.appointment"),
        ("what's my plan", "plan.show"),
        ("I want to talk to a human", "contact.open"),
    ],
)
async def test_english_intents(db: Database, text: str, lands: str) -> None:
    world = await one_person(db, language="en")
    await _place(db, world, "menu.main")
    reply = await Harness(db).say(text)
    assert (await _where(db, world))[0] == lands
    assert "Hvad" not in reply[0].text and "Du " not in reply[0].text  # English, not Danish


async def test_a_risky_check_in_answer_names_no_missing_button(db: Database) -> None:
    """With a human taking over there are no buttons, so the text must name none."""
    world = await one_person(db)
    async with db.session() as session:
        session.add(
            Checkin(
                young_person_id=world.person_id,
                sent_at=local(2026, 2, 24, 15),
                answered_at=local(2026, 2, 24, 16),
                score=1,
            )
        )
    await _place(db, world, "checkin.ask")
    chat = Harness(db)
    reply = await chat.say("1")
    assert "Jeg har bedt din kontaktperson om at skrive til dig" in reply[-1].text
    assert reply[-1].choices == ()
    assert "Nej tak" not in reply[-1].text and "vælge" not in reply[-1].text
    # Without a human, the same question comes with its "Nej tak" button.
    await _place(db, world, "checkin.ask")
    async with db.session() as session:
        for handoff in await _handoffs(db):
            handoff.status = "closed"
            session.add(handoff)
    reply = await chat.say("5")
    assert "Vil du skrive mere om, hvordan det går?" in reply[-1].text
    assert "Nej tak" in [c.label for c in reply[-1].choices]
