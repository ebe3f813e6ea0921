"""Crisis and the gentle check through the Receiver and the engine (SQLite and PostgreSQL).

A crisis message gets one reply: "Tak, fordi du skriver. Du er ikke alene.", then "Er du i
fare lige nu, så ring 112." only for acute danger, then who was told (or, out of working
hours, when staff read it), then help lines for what happened, this age and this hour, and
"Er du i fare, så ring 112." last unless it came first; and an urgent handoff. A worrying
message that is not clearly a crisis gets the gentle check instead. While a human holds the
conversation, the young person is told their message reached them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot.clock import clock
from bot.database import Database
from bot.handoff.models import Handoff
from bot.i18n import tr
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.safety.concepts import CATEGORIES
from bot.safety.helplines import clear_cache, load_helplines
from bot.safety.screen import CrisisMatch, screen
from bot.staff.models import StaffMember
from tests.support import Harness
from tests.world import (
    ALI,
    METTE,
    SERVICE,
    SOFIE,
    channel_identity,
    conversation,
    municipality,
    staff_member,
    young_person,
)

REPO = Path(__file__).resolve().parents[2]
TUNE = REPO / "tests" / "data" / "safety" / "eval" / "tune.yaml"

INTRO = "Tak, fordi du skriver. Du er ikke alene."
DANGER_FIRST = "Er du i fare lige nu, så ring 112."
DANGER_LAST = "Er du i fare, så ring 112."
LINES_INTRO = "Du kan tale med nogen nu:"
METTE_NOW = "Mette får besked nu og skriver til dig her."
TEAM_NOW = "En medarbejder får besked nu og skriver til dig her."
CHECK = "Er du okay? Vil du tale med en voksen nu?"
GENTLE_NO = "Okay. Skriv KONTAKT, hvis du vil tale med en voksen senere."
ACK = "Din besked er sendt til Mette. Mette svarer dig her, så snart det er muligt."
MENU_QUESTION = "Hvad vil du gerne?"

# Which lines a young person of unknown age (and Sofie, 17 or 18) gets, by what happened: the
# topic's own lines first, then general ones; the shipped lines are open always or hours unknown.
GENERAL = ("boernetelefonen", "hoert", "headspace")
LINES_FOR_UNKNOWN_AGE: dict[str, tuple[str, ...]] = {
    "suicide": ("boernetelefonen", "hoert", "livslinien"),
    "violence": ("boernetelefonen", "levudenvold", "red"),
    "forced_marriage": ("red", "boernetelefonen", "hoert"),
    "self_harm": GENERAL,
    "abuse": GENERAL,
    "homelessness": GENERAL,
    "acute_danger": GENERAL,
    "distress": GENERAL,
}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # Tuesday 10:30 in Copenhagen


def crisis_messages() -> list[tuple[str, CrisisMatch]]:
    """Crisis-labelled messages of the tuning share that the screen flags as a crisis."""
    data: dict[str, Any] = yaml.safe_load(TUNE.read_text(encoding="utf-8"))
    found = []
    for message in data["messages"]:
        if message["label"] != "crisis":
            continue
        match = screen(message["text"])
        if match is not None and not match.gentle:
            found.append((str(message["text"]), match))
    return found


def line_text(line_id: str, language: str = "da") -> str:
    """A shipped help line's text, as the young person reads it."""
    return tr(language, next(line.text for line in load_helplines() if line.id == line_id))


def help_reply(category: str, staff: str, lines: tuple[str, ...] | list[str]) -> str:
    """The whole crisis reply as the young person should see it (Danish)."""
    first = [INTRO, DANGER_FIRST, staff] if category == "acute_danger" else [INTRO, staff]
    parts = [" ".join(first)]
    if lines:
        parts.append(LINES_INTRO + "\n" + "\n".join(line_text(i) for i in lines))
    if category != "acute_danger":
        parts.append(DANGER_LAST)
    return "\n\n".join(parts)


async def handoffs_of(db: Database, address: str) -> list[Handoff]:
    async with db.session() as session:
        identity = (
            await session.exec(select(ChannelIdentity).where(ChannelIdentity.address == address))
        ).one()
        result = await session.exec(
            select(Handoff)
            .where(Handoff.young_person_id == identity.young_person_id)
            .order_by(col(Handoff.id))
        )
        return list(result.all())


async def change_person(db: Database, address: str, **fields: Any) -> None:
    async with db.session() as session:
        identity = (
            await session.exec(select(ChannelIdentity).where(ChannelIdentity.address == address))
        ).one()
        person = await session.get(YoungPerson, identity.young_person_id)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)
        session.add(person)


async def change_staff(db: Database, email: str, **fields: Any) -> None:
    async with db.session() as session:
        staff = (await session.exec(select(StaffMember).where(StaffMember.email == email))).one()
        for name, value in fields.items():
            setattr(staff, name, value)
        session.add(staff)


async def close_handoffs(db: Database) -> None:
    async with db.session() as session:
        for handoff in (await session.exec(select(Handoff))).all():
            handoff.status = "closed"
            session.add(handoff)


async def town(db: Database) -> int:
    """A youth service: Mette (contact person), Ali (team lead), Sofie at the menu."""
    async with db.session() as session:
        service = await municipality(session, name=SERVICE, code="ungeby")
        mette = await staff_member(session, service, email=METTE, team="Ungeteam Nord")
        await staff_member(
            session, service, name="Ali Khan", email=ALI, role="team_lead", team="Ungeteam Nord"
        )
        person = await young_person(session, service, birth_year=2008, contact=mette)
        await channel_identity(session, person, address=SOFIE)
        await conversation(session, person)
        return service.id  # type: ignore[return-value]


async def sofie(db: Database) -> Harness:
    """Sofie (born 2008: 17 or 18 in March 2026), contact person Mette, at the menu."""
    await town(db)
    return Harness(db, address=SOFIE)


# --- the crisis messages of the tuning share (also sent over every channel) -----------


def test_the_tuning_share_has_crisis_messages_of_every_category() -> None:
    messages = crisis_messages()
    assert len(messages) >= 100
    assert {match.category for _, match in messages} == set(CATEGORIES) - {"distress"}
    assert {"da", "en"} <= {match.language for _, match in messages}


# --- what the reply says -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "lines"),
    [
        ("min far har slået mig igen", "violence", ("boernetelefonen", "levudenvold", "red")),
        (
            "mine forældre vil gifte mig bort i sommer",
            "forced_marriage",
            ("red", "boernetelefonen", "hoert"),
        ),
        ("jeg vil ikke leve mere", "suicide", ("boernetelefonen", "hoert", "livslinien")),
        ("jeg skar mig i går", "self_harm", GENERAL),
        ("blev voldtaget til en fest i weekenden", "abuse", GENERAL),
        ("min mor har smidt mig ud og jeg har ingen steder at sove i nat", "homelessness", GENERAL),
        ("jeg har taget 20 piller", "acute_danger", GENERAL),
    ],
)
async def test_help_lines_follow_what_happened(
    db: Database, text: str, category: str, lines: tuple[str, ...]
) -> None:
    match = screen(text)
    assert match is not None and not match.gentle and match.category == category
    chat = await sofie(db)
    [reply] = await chat.say(text)
    assert reply.text == help_reply(category, METTE_NOW, lines)
    assert reply.choices == ()


async def test_violence_names_lev_uden_vold_1888(db: Database) -> None:
    chat = await sofie(db)
    [reply] = await chat.say("min stedfar tæsker mig når han er fuld")
    assert "Lev Uden Vold: ring 1888 om vold. Gratis og anonymt." in reply.text
    assert "Livslinien" not in reply.text


async def test_acute_danger_puts_112_first(db: Database) -> None:
    chat = await sofie(db)
    [reply] = await chat.say("jeg har taget 20 piller")
    assert reply.text.startswith(f"{INTRO} {DANGER_FIRST} ")
    assert DANGER_LAST not in reply.text
    assert reply.text.count("112") == 1
    assert reply.text.index("112") < reply.text.index(METTE_NOW) < reply.text.index(LINES_INTRO)
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.urgent and handoff.detail.startswith("acute_danger:")


async def test_other_crises_put_112_last(db: Database) -> None:
    chat = await sofie(db)
    [reply] = await chat.say("jeg vil dø")
    assert DANGER_FIRST not in reply.text
    assert reply.text.endswith("\n\n" + DANGER_LAST)
    assert reply.text.count("112") == 1
    assert reply.text.index(LINES_INTRO) < reply.text.index("112")


@pytest.mark.parametrize(
    ("born", "lines"),
    [
        ({"birth_year": 2008}, ("boernetelefonen", "hoert", "livslinien")),  # 17 or 18
        # 18 or 19: errs toward including BørneTelefonen (up to 18).
        ({"birth_year": 2007}, ("boernetelefonen", "hoert", "livslinien")),
        ({"birth_date": date(2007, 12, 24)}, ("boernetelefonen", "hoert", "livslinien")),  # 18
        ({"birth_date": date(2007, 1, 15)}, ("hoert", "livslinien", "headspace")),  # 19
        ({"birth_year": 2012}, ("boernetelefonen", "livslinien", "headspace")),  # 13 or 14
        ({"birth_year": 2011}, ("boernetelefonen", "hoert", "livslinien")),  # 14 or 15
        ({"birth_date": date(2011, 12, 24)}, ("boernetelefonen", "livslinien", "headspace")),
    ],
)
async def test_help_lines_follow_the_age_the_bot_knows(
    db: Database, born: dict[str, Any], lines: tuple[str, ...]
) -> None:
    chat = await sofie(db)
    await change_person(db, SOFIE, **{"birth_year": None, "birth_date": None, **born})
    [reply] = await chat.say("jeg vil dø")
    assert reply.text == help_reply("suicide", METTE_NOW, lines)


async def test_a_municipality_can_hide_lines_not_verified_within_a_year(db: Database) -> None:
    chat = await sofie(db)
    [shown] = await chat.say("jeg vil dø")
    assert line_text("livslinien") in shown.text  # hours and number not verified
    await close_handoffs(db)
    async with db.session() as session:
        municipality = (await session.exec(select(Municipality))).one()
        municipality.hide_unverified_helplines = True
        session.add(municipality)
    [hidden] = await chat.say("jeg vil dø")
    assert hidden.text == help_reply("suicide", METTE_NOW, ("boernetelefonen", "hoert"))


@pytest.fixture
def evening_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Content whose help lines include one open 22:00-23:00 Copenhagen time."""
    safety = tmp_path / "safety"
    safety.mkdir()
    real = REPO / "content" / "safety"
    (safety / "concepts").symlink_to(real / "concepts")
    (safety / "crisis.yaml").symlink_to(real / "crisis.yaml")
    lines = yaml.safe_load((real / "helplines.yaml").read_text(encoding="utf-8"))["lines"]
    lines.insert(
        0,
        {
            "id": "evening",
            "name": "Aftenlinjen",
            "contact": "11 22 33 44",
            "kind": "phone",
            "text": "Aftenlinjen: ring 11 22 33 44.",
            "categories": ["suicide"],
            "age_min": None,
            "age_max": None,
            "hours": {"from": "22:00", "to": "23:00"},
            "last_verified": date(2026, 1, 1),
        },
    )
    (safety / "helplines.yaml").write_text(
        yaml.safe_dump({"lines": lines}, allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("INDGANG_CONTENT_DIR", str(tmp_path))
    clear_cache()
    yield tmp_path
    clear_cache()


@pytest.mark.parametrize(
    ("utc", "open_now"),
    [
        (datetime(2026, 3, 3, 21, 30, tzinfo=UTC), True),  # 22:30 in winter
        (datetime(2026, 3, 3, 22, 30, tzinfo=UTC), False),  # 23:30
        (datetime(2026, 3, 3, 20, 59, tzinfo=UTC), False),  # 21:59
        (datetime(2026, 6, 9, 20, 30, tzinfo=UTC), True),  # 22:30 in summer
        (datetime(2026, 6, 9, 21, 30, tzinfo=UTC), False),  # 23:30 in summer
    ],
)
async def test_a_line_closed_at_this_local_hour_is_left_out(
    db: Database, evening_line: Path, utc: datetime, open_now: bool
) -> None:
    chat = await sofie(db)
    clock.set(utc)
    [reply] = await chat.say("jeg vil dø")
    if open_now:
        # Open now, and for the topic: first of all.
        assert reply.text.split(LINES_INTRO + "\n")[1].startswith("Aftenlinjen: ring 11 22 33 44.")
    else:
        assert "Aftenlinjen" not in reply.text
        assert line_text("boernetelefonen") in reply.text


# --- out of working hours (weekdays 08-16 Copenhagen) ---------------------------------------


@pytest.mark.parametrize(
    ("utc", "when"),
    [
        (datetime(2026, 3, 3, 21, 0, tzinfo=UTC), "i morgen kl. 08.00"),  # Tue 22:00
        (datetime(2026, 3, 3, 4, 0, tzinfo=UTC), "i dag kl. 08.00"),  # Tue 05:00
        (datetime(2026, 3, 3, 6, 59, tzinfo=UTC), "i dag kl. 08.00"),  # Tue 07:59
        (datetime(2026, 3, 3, 15, 0, tzinfo=UTC), "i morgen kl. 08.00"),  # Tue 16:00
        (datetime(2026, 3, 6, 15, 0, tzinfo=UTC), "mandag kl. 08.00"),  # Fri 16:00
        (datetime(2026, 3, 6, 22, 30, tzinfo=UTC), "mandag kl. 08.00"),  # Fri 23:30
        (datetime(2026, 3, 7, 11, 0, tzinfo=UTC), "mandag kl. 08.00"),  # Sat 12:00
        (datetime(2026, 3, 8, 20, 0, tzinfo=UTC), "i morgen kl. 08.00"),  # Sun 21:00
        (datetime(2026, 6, 13, 6, 30, tzinfo=UTC), "mandag kl. 08.00"),  # Sat 08:30 summer
        (datetime(2026, 6, 10, 5, 30, tzinfo=UTC), "i dag kl. 08.00"),  # Wed 07:30 summer
        (datetime(2026, 6, 10, 14, 0, tzinfo=UTC), "i morgen kl. 08.00"),  # Wed 16:00 summer
    ],
)
async def test_out_of_hours_says_when_staff_read_it(db: Database, utc: datetime, when: str) -> None:
    chat = await sofie(db)
    clock.set(utc)
    [reply] = await chat.say("jeg vil ikke leve mere")
    assert reply.text == help_reply(
        "suicide",
        f"Vi har lukket. Mette læser din besked {when}.",
        ("boernetelefonen", "hoert", "livslinien"),
    )
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.urgent and handoff.reason == "crisis"


@pytest.mark.parametrize(
    "utc",
    [
        datetime(2026, 3, 2, 7, 0, tzinfo=UTC),  # Mon 08:00
        datetime(2026, 3, 6, 14, 59, tzinfo=UTC),  # Fri 15:59
        datetime(2026, 6, 10, 6, 0, tzinfo=UTC),  # Wed 08:00 summer
        datetime(2026, 6, 10, 13, 59, tzinfo=UTC),  # Wed 15:59 summer
    ],
)
async def test_in_working_hours_says_who_was_told(db: Database, utc: datetime) -> None:
    chat = await sofie(db)
    clock.set(utc)
    [reply] = await chat.say("jeg vil ikke leve mere")
    assert reply.text.startswith(f"{INTRO} {METTE_NOW}\n\n")
    assert "Vi har lukket" not in reply.text


async def test_without_a_responder_the_team_is_named(db: Database) -> None:
    chat = await sofie(db)
    await change_staff(db, METTE, active=False)  # nobody else is a contact person
    [now] = await chat.say("jeg vil dø")
    assert now.text == help_reply("suicide", TEAM_NOW, LINES_FOR_UNKNOWN_AGE["suicide"])
    await close_handoffs(db)
    clock.set(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))  # Saturday
    [closed] = await chat.say("jeg vil dø")
    assert closed.text.startswith(
        f"{INTRO} Vi har lukket. En medarbejder læser din besked mandag kl. 08.00.\n\n"
    )


async def test_english_reply_out_of_hours(db: Database) -> None:
    chat = await sofie(db)
    await change_person(db, SOFIE, language="en")
    clock.set(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))  # Saturday
    [reply] = await chat.say("I want to kill myself")
    assert reply.text == "\n\n".join(
        [
            "Thank you for writing. You are not alone. "
            "We are closed. Mette will read your message on Monday at 08:00.",
            "You can talk to someone now:\n"
            + "\n".join(line_text(i, "en") for i in ("boernetelefonen", "hoert", "livslinien")),
            "If you are in danger, call 112.",
        ]
    )
    [ack] = await chat.say("help")
    assert ack.text == (
        "Your message has gone to Mette. We are closed now. "
        "Mette will answer on Monday at 08:00 at the earliest."
    )


async def test_english_acute_danger_in_working_hours(db: Database) -> None:
    chat = await sofie(db)
    await change_person(db, SOFIE, language="en")
    [reply] = await chat.say("took a whole bottle of pills like 20 min ago")
    assert reply.text.startswith(
        "Thank you for writing. You are not alone. If you are in danger now, call 112. "
        "Mette is told now and will write to you here.\n\n"
    )
    assert "If you are in danger, call 112." not in reply.text


# --- during a handoff, after STOP ----------------------------------------------------------


async def test_crisis_during_a_handoff_is_answered_and_made_urgent(db: Database) -> None:
    chat = await sofie(db)
    [opened] = await chat.say("kontakt")
    assert "Mette" in opened.text
    [asked] = await handoffs_of(db, SOFIE)
    assert (asked.reason, asked.urgent) == ("asked", False)
    assert await chat.say("hallo?") == []  # Mette was just asked; no need to say it again
    [reply] = await chat.say("jeg har lyst til at dø")
    assert reply.text == help_reply("suicide", METTE_NOW, LINES_FOR_UNKNOWN_AGE["suicide"])
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.id == asked.id  # the same handoff, raised
    assert (handoff.urgent, handoff.reason, handoff.status) == (True, "crisis", "open")
    assert handoff.detail.startswith("suicide:")


async def test_gentle_message_during_a_handoff_is_acknowledged_and_made_urgent(
    db: Database,
) -> None:
    chat = await sofie(db)
    await chat.say("kontakt")
    [reply] = await chat.say("jeg kan ikke mere")
    assert reply.text == ACK  # not the check: a human already holds the conversation
    assert reply.choices == ()
    [handoff] = await handoffs_of(db, SOFIE)
    assert (handoff.urgent, handoff.reason, handoff.detail) == (True, "crisis", "gentle: distress")


async def test_while_held_a_pause_or_a_keyword_is_acknowledged(db: Database) -> None:
    start = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    chat = await sofie(db)
    await chat.say("jeg vil dø")
    clock.set(start + timedelta(minutes=5))
    assert await chat.say("er der nogen?") == []  # a burst right after the help reply
    clock.set(start + timedelta(minutes=6))
    assert [r.text for r in await chat.say("hjælp")] == [ACK]
    # "menu" shows the menu, saying who holds the conversation; a number picked from it is
    # the bot's, free text the human's.
    [menu] = await chat.say("menu")
    held_by = "Mette har stadig din samtale. Skriv her, hvis du vil skrive til Mette."
    assert menu.text == f"{held_by}\n\n{MENU_QUESTION}"
    assert menu.choices and menu.choices[0].key == "plan"
    assert (await chat.say("1"))[0].text.startswith("Du har ikke en plan endnu.")
    clock.set(start + timedelta(minutes=15))
    assert await chat.say("hallo") == []  # 9 minutes after the last acknowledgement
    clock.set(start + timedelta(minutes=16))
    assert [r.text for r in await chat.say("hallo")] == [ACK]  # 10 minutes
    clock.set(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))  # Saturday
    assert [r.text for r in await chat.say("hallo")] == [
        "Din besked er sendt til Mette. Vi har lukket nu. Mette svarer tidligst mandag kl. 08.00."
    ]
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.status == "open"


async def test_the_bot_speaks_again_after_a_human_closes_the_handoff(db: Database) -> None:
    chat = await sofie(db)
    await chat.say("jeg vil dø")
    assert [r.text for r in await chat.say("hjælp")] == [ACK]
    await close_handoffs(db)
    [menu] = await chat.say("menu")
    assert menu.text == MENU_QUESTION
    assert menu.choices


async def test_crisis_after_stop_is_still_answered(db: Database) -> None:
    chat = await sofie(db)
    await chat.say("STOP")
    assert await chat.say("hej") == []
    [reply] = await chat.say("jeg vil dø")
    assert reply.text == help_reply("suicide", METTE_NOW, LINES_FOR_UNKNOWN_AGE["suicide"])
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.urgent and handoff.reason == "crisis"
    assert await chat.say("menu") == []  # still opted out


# --- the gentle check ---------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["tap:Ja", "ja", "1", "ja tak"])
async def test_gentle_check_yes_opens_an_urgent_handoff_with_help_lines(
    db: Database, answer: str
) -> None:
    chat = await sofie(db)
    [check] = await chat.say("jeg kan ikke mere")
    assert check.text == CHECK
    assert [c.label for c in check.choices][:2] == ["Ja", "Nej"]
    assert await handoffs_of(db, SOFIE) == []  # nothing until they answer
    if answer.startswith("tap:"):
        [reply] = await chat.tap(answer[4:])
    else:
        [reply] = await chat.say(answer)
    assert reply.text == help_reply("distress", METTE_NOW, GENERAL)
    assert reply.choices == ()
    [handoff] = await handoffs_of(db, SOFIE)
    assert (handoff.urgent, handoff.reason, handoff.status, handoff.detail) == (
        True,
        "crisis",
        "open",
        "gentle check: distress",
    )
    assert [r.text for r in await chat.say("hjælp")] == [ACK]


async def test_gentle_check_keeps_the_topic_for_the_lines(db: Database) -> None:
    chat = await sofie(db)
    [check] = await chat.say("min far slår mig ikke")  # negated: gentle, about violence
    assert check.text == CHECK
    [reply] = await chat.tap("Ja")
    assert reply.text == help_reply(
        "violence", METTE_NOW, ("boernetelefonen", "levudenvold", "red")
    )
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.detail == "gentle check: violence"


@pytest.mark.parametrize("answer", ["tap:Nej", "nej", "2"])
async def test_gentle_check_no_says_okay_and_shows_the_menu(db: Database, answer: str) -> None:
    chat = await sofie(db)
    await chat.say("jeg er så træt af alt")
    if answer.startswith("tap:"):
        [reply] = await chat.tap(answer[4:])
    else:
        [reply] = await chat.say(answer)
    assert reply.text == f"{GENTLE_NO}\n\n{MENU_QUESTION}"
    assert "plan" in [c.key for c in reply.choices]
    assert await handoffs_of(db, SOFIE) == []
    [menu] = await chat.say("menu")  # the bot goes on as usual
    assert menu.text == MENU_QUESTION


async def test_gentle_check_in_english(db: Database) -> None:
    chat = await sofie(db)
    await change_person(db, SOFIE, language="en")
    [check] = await chat.say("i feel so alone")
    assert check.text == "Are you okay? Do you want to talk to an adult now?"
    [reply] = await chat.tap("yes")
    assert reply.text.startswith(
        "Thank you for writing. You are not alone. "
        "Mette is told now and will write to you here.\n\n"
    )
    assert reply.text.endswith("\n\nIf you are in danger, call 112.")


async def test_a_crisis_at_the_gentle_check_gets_the_crisis_reply(db: Database) -> None:
    chat = await sofie(db)
    await chat.say("jeg kan ikke mere")
    [reply] = await chat.say("jeg har taget 20 piller")
    assert reply.text == help_reply("acute_danger", METTE_NOW, GENERAL)
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.detail.startswith("acute_danger:")


# --- found while writing these tests --------------------------------------------------------


async def test_the_crisis_reply_names_whoever_got_the_handoff(db: Database) -> None:
    town_id = await town(db)
    async with db.session() as session:
        session.add(
            StaffMember(
                municipality_id=town_id,
                name="Jonas Berg",
                email="jonas@ungeby.dk",
                team="Ungeteam Nord",
            )
        )
    chat = Harness(db, address="new-sender")  # no contact person: the round robin picks
    [reply] = await chat.say("jeg vil dø")
    [handoff] = await handoffs_of(db, "new-sender")
    async with db.session() as session:
        assignee = await session.get(StaffMember, handoff.assignee_id)
    assert assignee is not None
    name = assignee.name.split()[0]
    assert f"{name} får besked nu" in reply.text
    assert [r.text for r in await chat.say("hjælp")] == [
        f"Din besked er sendt til {name}. {name} svarer dig her, så snart det er muligt."
    ]


async def test_a_crisis_read_by_example_names_the_example_for_staff(db: Database) -> None:
    """An example reworded so no concept rule reads it: the handoff says what it resembled."""
    message = "de sender mig til irak efter eksamen og jeg kommer ikke tilbage, det er aftalt"
    match = screen(message)
    assert match is not None and match.rule_id == "example" and not match.gentle
    chat = await sofie(db)
    [reply] = await chat.say(message)
    assert reply.text.startswith("Tak, fordi du skriver.")
    [handoff] = await handoffs_of(db, SOFIE)
    assert handoff.urgent and handoff.detail == (
        f'{match.category}:example:da resembles "{match.resembles}"'
    )
