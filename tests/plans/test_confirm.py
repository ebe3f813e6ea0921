"""A step is marked done only after "Ja" to "Skal jeg skrive, at du er færdig med …?".

The table below is what young people really write on the plan screen: reports, negations,
questions, small talk, emoji and right-to-left text. None of it may change the plan.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.conversation.intents import answer_of
from bot.conversation.models import ConversationState
from bot.conversation.preferences import OFFERED
from bot.database import Database
from bot.i18n import LANGUAGES, tr
from bot.people.models import YoungPerson
from bot.plans import changes
from bot.plans.models import Milestone
from channels.base import Outbound
from tests.support import Harness
from tests.world import OnePerson, local, one_person, without_flood_limit

NOT_YET = "Okay. Sig til, når du er færdig."
CONFIRM = "Skal jeg skrive, at du er færdig med '{title}'?"
QUESTION = "Det kan jeg ikke svare på her. Din kontaktperson kan svare dig."
UNCLEAR = "Jeg ved ikke, hvilket skridt du mener. Vælg det skridt, du er færdig med."
SEARCH, CV = "Søg ind på optagelse.dk", "Skriv dit CV færdigt"

# (what the young person writes on the plan screen, what the bot should make of it)
# not_yet: a negation, answered "Okay. Sig til …" and never asked about;
# confirm:<title>: asked to confirm, nothing marked yet; question / unclear: said so;
# None: anything, as long as the plan stays as it is (a menu choice, an intent, …).
TABLE: list[tuple[str, str | None]] = [
    # Negated: Danish, with the spellings young people use, then English.
    ("jeg har IKKE skrevet mit cv færdigt endnu", "not_yet"),
    ("Jeg har ikke søgt", "not_yet"),
    ("har ik søgt endnu", "not_yet"),
    ("jeg har ikk lavet mit cv", "not_yet"),
    ("jeg har aldrig søgt ind", "not_yet"),
    ("mit cv er endnu ikke færdigt", "not_yet"),
    ("nej jeg er ikke færdig med cv", "not_yet"),
    ("jeg mangler stadig at skrive mit cv", "not_yet"),
    ("jeg er næsten færdig med mit CV", "not_yet"),
    ("jeg søger i morgen", "not_yet"),
    ("jeg har ikke søgt, men mit cv er færdigt", "not_yet"),
    ("I have not written my CV", "not_yet"),
    ("I haven't applied yet", "not_yet"),
    ("didn't finish my cv", "not_yet"),
    ("not done with the cv", "not_yet"),
    ("I will never apply", "not_yet"),
    ("nej", "not_yet"),
    # Questions.
    ("har jeg søgt?", "question"),
    ("skal jeg skrive mit cv?", "question"),
    ("hvornår holder I åbent", "question"),
    ("what is a CV?", "question"),
    ("hvornår er mit møde?", None),
    ("hvad er min plan", None),
    ("stop med at skrive", None),
    # Unrelated.
    ("bananer", "unclear"),
    ("jeg er træt i dag", "unclear"),
    ("hej", "unclear"),
    ("ok", "unclear"),
    ("done", None),  # the key of "Jeg er færdig med et skridt": which step?
    ("jeg har søgt og skrevet mit cv", "unclear"),
    # Emoji and right-to-left text.
    ("👍", "unclear"),
    ("🙈🙈🙈", "unclear"),
    ("✅ cv", f"confirm:{CV}"),
    ("لقد كتبت سيرتي الذاتية", "unclear"),
    ("אני לא יודע", "unclear"),
    ("\u202eфедт\u202c", "unclear"),
    # Clear reports are asked about, never marked at once.
    ("Jeg har søgt", f"confirm:{SEARCH}"),
    ("cv er færdigt", f"confirm:{CV}"),
    ("I finished my CV", f"confirm:{CV}"),
    ("1", None),  # the first choice: "Jeg er færdig med et skridt"
    ("ja", None),
    ("Ja!!", None),
]


@pytest.fixture(autouse=True)
def _clock():  # type: ignore[no-untyped-def]
    clock.set(local(2026, 3, 3, 10))
    yield
    clock.reset()


async def _world(
    db: Database, *, language: str = "da", plan: bool = True, offered: tuple[str, ...] = ()
) -> OnePerson:
    world = await one_person(db, language=language)
    async with db.session() as session:
        # Dozens of sentences in a row from one young person: a table, not a flood.
        await without_flood_limit(session)
        person = await session.get(YoungPerson, world.person_id)
        state = await session.get(ConversationState, world.person_id)
        assert person is not None and state is not None
        # Languages already offered are not offered again (a separate test covers offers).
        state.data = {OFFERED: list(offered)}
        session.add(state)
        if plan:
            await changes.set_goal(
                session, person=person, goal="Starte på tømrer i august", now=clock.now()
            )
            await changes.add_milestone(
                session, person=person, title=SEARCH, due_date=date(2026, 3, 1), now=clock.now()
            )
            await changes.add_milestone(
                session, person=person, title=CV, due_date=date(2026, 3, 20), now=clock.now()
            )
    return world


async def _statuses(db: Database) -> dict[str, str]:
    async with db.session() as session:
        return {m.title: m.status for m in (await session.exec(select(Milestone))).all()}


def _expected(expect: str, language: str) -> str:
    kind, _, title = expect.partition(":")
    if kind == "confirm":
        return tr(language, CONFIRM, title=title)
    return tr(language, {"not_yet": NOT_YET, "question": QUESTION, "unclear": UNCLEAR}[kind])


def _contradicts(message: Outbound) -> bool:
    praised = "Godt gået" in message.text or "Well done" in message.text
    missing = "Jeg kunne ikke finde" in message.text or "could not find" in message.text
    return praised and missing


def test_the_table_is_long_enough() -> None:
    assert len(TABLE) >= 30


@pytest.mark.parametrize("language", LANGUAGES)
async def test_nothing_written_on_the_plan_screen_changes_the_plan(
    db: Database, language: str
) -> None:
    await _world(db, language=language, offered=LANGUAGES)
    chat = Harness(db)
    before = await _statuses(db)
    assert before == {SEARCH: "open", CV: "open"}
    wrong = []
    for text, expect in TABLE:
        await chat.say("min plan")
        reply = await chat.say(text)
        if await _statuses(db) != before:
            wrong.append(f"{text!r} changed the plan")
        if len(reply) != 1:
            wrong.append(f"{text!r}: {len(reply)} replies")
        for message in reply:
            if "Godt gået" in message.text or "Well done" in message.text:
                wrong.append(f"{text!r}: praised without a 'Ja'")
            if _contradicts(message):
                wrong.append(f"{text!r}: contradicting reply {message.text!r}")
        said = reply[-1].text if reply else ""
        if expect is not None and not said.startswith(_expected(expect, language)):
            wrong.append(f"{text!r}: expected {expect}, got {said[:70]!r}")
        if expect == "not_yet" and [c for c in reply[-1].choices if c.key == "yes"]:
            wrong.append(f"{text!r}: a negation was asked to confirm")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_anything_but_yes_to_the_question_changes_nothing(
    db: Database, language: str
) -> None:
    """Even while the bot waits for "Ja", only "Ja" (or "ja tak", "yes", 1) marks the step."""
    await _world(db, language=language, offered=LANGUAGES)
    chat = Harness(db)
    wrong = []
    for text, _expect in TABLE:
        if answer_of(text) == "yes" or text == "1":
            continue
        await chat.say("min plan")
        asked = await chat.say("Jeg har søgt")
        assert asked[-1].text == tr(language, CONFIRM, title=SEARCH)
        reply = await chat.say(text)
        if await _statuses(db) != {SEARCH: "open", CV: "open"}:
            wrong.append(f"{text!r} after the question changed the plan")
        if any("Godt gået" in m.text or "Well done" in m.text for m in reply):
            wrong.append(f"{text!r} after the question was praised")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("how", ["words", "number", "button"])
async def test_yes_marks_the_step_done_in_one_reply(db: Database, how: str) -> None:
    await _world(db)
    chat = Harness(db)
    await chat.say("min plan")
    if how == "words":
        asked = await chat.say("jeg har skrevet mit cv")
    else:
        await chat.tap("Jeg er færdig med et skridt")
        asked = await (chat.say("2") if how == "number" else chat.tap(CV))
    assert [m.text for m in asked] == [f"Skal jeg skrive, at du er færdig med '{CV}'?"]
    assert [(c.key, c.label) for c in asked[0].choices] == [
        ("yes", "Ja"),
        ("no", "Nej"),
        ("menu", "Menu"),
    ]
    assert await _statuses(db) == {SEARCH: "open", CV: "open"}
    done = await chat.say("1")  # 1 is "Ja"
    assert len(done) == 1
    assert done[0].text.startswith(
        f"Godt gået! Jeg har skrevet i din plan, at du er færdig med: {CV}."
    )
    assert "Jeg kunne ikke finde" not in done[0].text
    assert await _statuses(db) == {SEARCH: "open", CV: "done"}
    # The plan shown afterwards still offers the open step.
    assert f"- {SEARCH}" in done[0].text and f"- {CV}" not in done[0].text
    assert "done" in [c.key for c in done[0].choices]
    assert not any(_contradicts(m) for m in chat.channel.sent)


async def test_no_keeps_the_step_open_and_stays_useful(db: Database) -> None:
    await _world(db)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.tap("Jeg er færdig med et skridt")
    await chat.tap(SEARCH)
    reply = await chat.tap("Nej")
    assert [m.text for m in reply] == [NOT_YET]
    assert [c.label for c in reply[0].choices] == [
        "Jeg er færdig med et skridt",
        "Min plan",
        "Skriv med min kontaktperson",
        "Menu",
    ]
    assert await _statuses(db) == {SEARCH: "open", CV: "open"}


@pytest.mark.parametrize("yes", ["Ja", "ja tak", "JA!", "yes", "jep"])
async def test_ways_of_saying_yes(db: Database, yes: str) -> None:
    await _world(db)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.say("Jeg har søgt")
    reply = await chat.say(yes)
    assert "Godt gået!" in reply[-1].text
    assert await _statuses(db) == {SEARCH: "done", CV: "open"}


async def test_naming_another_step_while_asked_asks_about_that_one(db: Database) -> None:
    await _world(db)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.say("Jeg har søgt")
    asked = await chat.say("nej, mit cv er færdigt")
    # "nej" is a negation: nothing is asked, nothing marked.
    assert asked[-1].text == NOT_YET
    asked = await chat.say("mit cv er færdigt")
    assert asked[-1].text == f"Skal jeg skrive, at du er færdig med '{CV}'?"
    await chat.tap("Ja")
    assert await _statuses(db) == {SEARCH: "open", CV: "done"}


async def test_english(db: Database) -> None:
    await _world(db, language="en", offered=("da",))
    chat = Harness(db)
    await chat.say("my plan")
    asked = await chat.say("I finished my CV")
    assert asked[-1].text == f"Shall I write that you have finished '{CV}'?"
    assert [c.label for c in asked[-1].choices] == ["Yes", "No", "Menu"]
    reply = await chat.say("I haven't finished it")
    assert reply[-1].text == "Okay. Tell me when you are done."
    await chat.say("I finished my CV")
    reply = await chat.tap("Yes")
    assert reply[-1].text.startswith("Well done!")
    assert await _statuses(db) == {SEARCH: "open", CV: "done"}


async def test_without_a_plan_no_step_can_be_reported(db: Database) -> None:
    await _world(db, plan=False)
    chat = Harness(db)
    shown = await chat.say("min plan")
    assert shown[-1].text.startswith("Du har ikke en plan endnu.")
    assert "Jeg er færdig med et skridt" not in [c.label for c in shown[-1].choices]
    reply = await chat.say("Jeg har søgt")
    assert reply[-1].text == "Du har ingen skridt lige nu."
    assert "Skal jeg skrive" not in reply[-1].text


async def test_a_step_done_meanwhile_is_not_praised(db: Database) -> None:
    """The contact person marks it done while the question waits: no 'Godt gået'."""
    world = await _world(db)
    chat = Harness(db)
    await chat.say("min plan")
    await chat.say("Jeg har søgt")
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        milestone = (await session.exec(select(Milestone).where(Milestone.title == SEARCH))).one()
        assert person is not None
        await changes.mark_done(session, person=person, milestone=milestone, now=clock.now())
    reply = await chat.tap("Ja")
    assert len(reply) == 1
    assert reply[0].text.startswith("Jeg kunne ikke finde det skridt i din plan.")
    assert "Godt gået" not in reply[0].text
