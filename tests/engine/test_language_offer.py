"""Writing in another language: the bot offers it once, in that language."""

from __future__ import annotations

import pytest

from bot.conversation.models import ConversationState
from bot.conversation.preferences import OFFERED, language_name
from bot.database import Database
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, tr
from bot.i18n.detect import detect_language
from bot.people.models import YoungPerson
from tests.support import Harness
from tests.world import OnePerson, one_person

pytestmark = pytest.mark.usefixtures("frozen_clock")

# A sentence a young person might write in each language we have texts for.
SAMPLES = {
    "da": "Jeg vil gerne vide hvornår jeg skal møde op på skolen",
    "en": "I would like to know when I have to show up at school",
}
# And in languages we have no texts for: English is offered.
OTHER = {
    "ar": "أريد أن أعرف متى يجب أن أذهب إلى المدرسة",
    "uk": "Я хочу знати, коли мені треба йти до школи",
    "so": "Waxaan rabaa inaan ogaado goorta aan iskuulka aadayo",
    "pl": "Chcę wiedzieć, kiedy mam iść do szkoły",
    "tr": "Okula ne zaman gitmem gerektiğini bilmek istiyorum",
}
YES_NO = {"da": ("Ja", "Nej"), "en": ("Yes", "No")}


async def _person(db: Database, world: OnePerson) -> tuple[YoungPerson, ConversationState]:
    async with db.session() as session:
        person = await session.get(YoungPerson, world.person_id)
        state = await session.get(ConversationState, world.person_id)
        assert person is not None and state is not None
        return person, state


def _other(code: str) -> str:
    return next(other for other in LANGUAGES if other != code)


def test_every_language_has_a_sample() -> None:
    assert set(SAMPLES) == set(LANGUAGES)


@pytest.mark.parametrize(
    "text",
    ["ok", "ja", "hej", "yes", "hi there", "Tak!", "ok tak 👍", "نعم", "ну да", "hej hej hej"],
)
def test_short_messages_tell_no_language(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        *((sample, code) for code, sample in SAMPLES.items()),
        *((sample, code) for code, sample in OTHER.items()),
        ("jeg har ikke skrevet mit cv færdigt endnu", "da"),
        ("Hei, hvordan har du det i dag?", "da"),  # Norwegian reads as Danish
        ("when is my meeting", "en"),
    ],
)
def test_detection(text: str, code: str) -> None:
    assert detect_language(text) == code


# What young people here write, in Danish: none of it may be taken for another language.
DANISH = """jeg har ikke skrevet mit cv færdigt endnu|hvornår er mit møde|kan jeg skrive med et
menneske|jeg har søgt ind på optagelse|stop med at skrive|jeg vil tale med min kontaktperson|
det går fint tak|jeg har sendt mit CV til jobcenter|kan du skrive engelsk|er det muligt at
flytte mødet|okay super fedt|jeg kan ikke komme på fredag|yes jeg er done med mit cv|
ok jeg har gjort det|jeg har ik søgt endnu|det er så nice|jeg er mega træt af skolen|
jeg gider ikke|kan vi rykke mødet til mandag|jeg har fået job i netto|jeg er startet på hf|
skal jeg tage mit pas med|jeg har ingen penge|det er chill|undskyld jeg kommer for sent|
jeg har glemt mit login|mitid virker ikke|kan du sende adressen|tak for hjælpen|
vi ses på fredag|jeg vil gerne på eud|haha ok fair nok|ja det har jeg gjort|
hvad sker der lige|det passer ikke så godt""".replace("\n", " ").split("|")


@pytest.mark.parametrize("text", DANISH)
def test_danish_is_never_taken_for_another_language(text: str) -> None:
    assert detect_language(text) in (None, "da")


@pytest.mark.parametrize("code", LANGUAGES)
async def test_writing_in_a_language_offers_it_in_that_language(db: Database, code: str) -> None:
    own = _other(code)
    world = await one_person(db, language=own)
    chat = Harness(db)
    await chat.say("menu")
    offer = await chat.say(SAMPLES[code])
    assert len(offer) == 1
    assert offer[0].text == tr(
        code, "Vil du skrive på {language_name}?", language_name=language_name(code, code)
    )
    yes, no = YES_NO[code]
    assert [c.label for c in offer[0].choices][:2] == [yes, no]
    switched = await chat.tap(yes)
    person, _state = await _person(db, world)
    assert person.language == code
    assert switched[0].text.startswith(
        tr(
            code,
            "Jeg skriver nu til dig på {language_name}.",
            language_name=language_name(code, code),
        )
    )
    # It goes on where it was (the menu), now in the new language.
    assert tr(code, "Hvad vil du gerne?") in switched[0].text


async def test_english_to_a_danish_reader(db: Database) -> None:
    world = await one_person(db, language="da")
    chat = Harness(db)
    await chat.say("min plan")
    offer = await chat.say("I have not finished my CV yet")
    assert offer[0].text == "Do you want to write in English?"
    assert [c.label for c in offer[0].choices] == ["Yes", "No", "Menu"]
    kept = await chat.tap("No")
    person, state = await _person(db, world)
    assert person.language == "da" and state.data[OFFERED] == ["en"]
    # It goes on where it was, in Danish: the plan screen.
    assert kept[0].text.startswith("Du har ikke en plan endnu.")
    assert (state.flow, state.step) == ("plan", "show")
    # Asked only once: the next English message is read as usual.
    again = await chat.say("I have really not finished my CV yet")
    assert "Do you want to write in English?" not in again[0].text
    assert person.language == "da"


async def test_danish_to_an_english_reader(db: Database) -> None:
    await one_person(db, language="en")
    chat = Harness(db)
    await chat.say("menu")
    offer = await chat.say("jeg har ikke skrevet mit cv færdigt endnu")
    assert offer[0].text == "Vil du skrive på dansk?"
    assert [c.label for c in offer[0].choices][:2] == ["Ja", "Nej"]
    reply = await chat.say("nej")  # answered in Danish: it still counts
    assert reply[0].text.startswith("What would you like to do?")


async def test_a_question_in_another_language_is_answered_after_the_offer(db: Database) -> None:
    world = await one_person(db, language="da")
    chat = Harness(db)
    await chat.say("menu")
    offer = await chat.say("when is my meeting")
    assert offer[0].text == "Do you want to write in English?"
    reply = await chat.say("nej")
    assert reply[0].text.startswith("Du har ingen møder i din plan lige nu.")
    _, state = await _person(db, world)
    assert (state.flow, state.step) == ("plan", "appointment")


@pytest.mark.parametrize("code", sorted(OTHER))
async def test_a_language_without_texts_gets_english_offered(db: Database, code: str) -> None:
    world = await one_person(db, language="da")
    chat = Harness(db)
    await chat.say("menu")
    offer = await chat.say(OTHER[code])
    assert offer[0].text == (
        "We cannot write in your language yet. "
        "Do you want to write in English?\nVil du skrive på engelsk?"
    )
    assert [c.label for c in offer[0].choices][:2] == ["Yes", "No"]
    await chat.tap("Yes")
    person, _state = await _person(db, world)
    assert person.language == "en"


async def test_english_readers_are_not_offered_english(db: Database) -> None:
    await one_person(db, language="en")
    chat = Harness(db)
    await chat.say("menu")
    reply = await chat.say(OTHER["ar"])
    assert "Do you want to write in English?" not in reply[0].text


@pytest.mark.parametrize("text", ["ok", "ja", "hej", "yes", "hi", "ok thanks"])
async def test_short_messages_never_offer(db: Database, text: str) -> None:
    world = await one_person(db, language="da")
    await Harness(db).say(text)
    _, state = await _person(db, world)
    assert OFFERED not in state.data
    assert (state.flow, state.step) != ("settings", "offer")


def test_the_offer_is_translated() -> None:
    # The English question and its one Danish sentence come from the catalog.
    assert (
        tr("en", "Vil du skrive på {language_name}?", language_name="English")
        == "Do you want to write in English?"
    )
    assert language_name("en", SOURCE_LANGUAGE) == "engelsk"
