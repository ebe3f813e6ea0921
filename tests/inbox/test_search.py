"""The inbox's search: young people by part of their name, messages by a word, only what the
staff member may see, and every message shown audited. Over HTTP against the real app."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from bot.audit.models import AuditEvent
from bot.clock import utcnow
from bot.conversation.models import INBOUND, OUTBOUND, Message
from bot.database import Database
from bot.inbox.search import audit_detail, excerpt
from bot.municipalities.models import Municipality
from bot.staff.models import StaffMember
from tests.fixtures.inbox import Staff, client
from tests.world import TwoTowns, young_person

SignedIn = Callable[[str], Awaitable[Staff]]


async def add_person(
    db: Database, world: TwoTowns, name: str, *, contact: str, **fields: Any
) -> int:
    """A young person in the contact person's municipality (no handoff)."""
    async with db.session() as session:
        staff = await session.get(StaffMember, world.staff[contact])
        assert staff is not None
        town = await session.get(Municipality, staff.municipality_id)
        assert town is not None
        person = await young_person(session, town, first_name=name, contact=staff, **fields)
        assert person.id is not None
        return person.id


async def say(
    db: Database, person_id: int, body: str, *, minutes_ago: int = 0, **fields: Any
) -> int:
    """A stored message of the young person's conversation (from them unless told)."""
    fields.setdefault("author", "young_person")
    fields.setdefault("direction", INBOUND if fields["author"] == "young_person" else OUTBOUND)
    async with db.session() as session:
        message = Message(
            young_person_id=person_id,
            channel=fields.pop("channel", "sms"),
            body=body,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
            **fields,
        )
        session.add(message)
        await session.flush()
        assert message.id is not None
        return message.id


def _section(page: httpx.Response, heading: str) -> str:
    assert page.status_code == 200, page.status_code
    assert f'id="{heading}"' in page.text, "no results shown"
    return page.text.split(f'id="{heading}"')[1].split("</section>")[0]


def people_found(page: httpx.Response) -> list[str]:
    """The names in the page's list of young people, in order."""
    return re.findall(r'<a href="/inbox/people/\d+">([^<]+)</a>', _section(page, "h-found-people"))


def messages_found(page: httpx.Response) -> list[int]:
    """The ids of the messages the page lists, in order."""
    section = _section(page, "h-found-messages")
    return [int(i) for i in re.findall(r'/conversation#message-(\d+)"', section)]


async def search_events(db: Database) -> list[tuple[int | None, int | None, str]]:
    """(staff, young person, detail) of every message-search audit event, in order."""
    async with db.session() as session:
        events = (
            await session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "search_messages")
                .order_by(col(AuditEvent.id))
            )
        ).all()
    return [(e.staff_id, e.young_person_id, e.detail) for e in events]


async def test_finds_young_people_by_part_of_the_first_name(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await add_person(db, world, "Josefine", contact="mette")
    await add_person(db, world, "Fie", contact="mette")
    await add_person(db, world, "Anders", contact="mette")
    mette = await signed_in("mette")
    page = await mette.get("/inbox/search", params={"q": "ofi"})
    assert people_found(page) == ["Sofie"]
    # Any case; names that start with the query come first, then by name.
    assert people_found(await mette.get("/inbox/search", params={"q": "FI"})) == [
        "Fie",
        "Josefine",
        "Sofie",
    ]
    assert people_found(await mette.get("/inbox/search", params={"q": "  sOf  "})) == ["Sofie"]
    none = await mette.get("/inbox/search", params={"q": "xyz"})
    assert people_found(none) == [] and "Ingen unge, hvis fornavn indeholder »xyz«" in none.text


async def test_names_with_danish_letters_match_in_any_case(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await add_person(db, world, "ØRJAN", contact="mette")
    await add_person(db, world, "Åse", contact="mette")
    mette = await signed_in("mette")
    assert people_found(await mette.get("/inbox/search", params={"q": "ørj"})) == ["ØRJAN"]
    assert people_found(await mette.get("/inbox/search", params={"q": "ÅSE"})) == ["Åse"]


async def test_finds_messages_by_a_word_in_any_case_newest_first(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    older = await say(db, sofie, "Jeg har fået en PRAKTIKPLADS hos tømreren", minutes_ago=60)
    newer = await say(
        db,
        sofie,
        "Hvordan går det med praktikpladsen?",
        author="staff",
        staff_id=world.staff["mette"],
    )
    await say(db, sofie, "Jeg kommer til mødet på torsdag")
    mette = await signed_in("mette")
    page = await mette.get("/inbox/search", params={"q": "Praktikplads"})
    assert messages_found(page) == [newer, older]
    found = _section(page, "h-found-messages")
    assert "<mark>PRAKTIKPLADS</mark> hos tømreren" in found
    assert "<mark>praktikplads</mark>en?" in found
    # Who wrote it, on which channel, in Copenhagen time (the clock stands at 09:30 UTC).
    assert "Mette Hansen" in found and "Den unge" in found and "SMS" in found
    assert "03.03.2026 10.30" in found and "03.03.2026 09.30" in found
    assert f'href="/inbox/people/{sofie}/conversation#message-{newer}"' in found
    # Danish letters fold too, on both databases.
    assert messages_found(await mette.get("/inbox/search", params={"q": "TØMREREN"})) == [older]


async def test_another_municipality_is_never_found(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie, bo = world.people["sofie"], world.people["bo"]
    hers = await say(db, sofie, "Skal vi tale om lærepladsen?")
    his = await say(db, bo, "Jeg har ingen læreplads endnu")
    for who in ("mette", "ali"):  # a contact person and a team lead of Aby
        staff = await signed_in(who)
        assert people_found(await staff.get("/inbox/search", params={"q": "Bo"})) == []
        assert messages_found(await staff.get("/inbox/search", params={"q": "læreplads"})) == [hers]
    berit = await signed_in("berit")
    assert people_found(await berit.get("/inbox/search", params={"q": "so"})) == []
    assert messages_found(await berit.get("/inbox/search", params={"q": "læreplads"})) == [his]
    # Each was audited only for the young person of their own municipality.
    assert {(s, p) for s, p, _ in await search_events(db)} == {
        (world.staff["mette"], sofie),
        (world.staff["ali"], sofie),
        (world.staff["berit"], bo),
    }


async def test_only_young_people_the_staff_member_may_see(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    sofus = await add_person(db, world, "Sofus", contact="jonas")
    about_sofie = await say(db, sofie, "Jeg har brug for hjælp til min ansøgning")
    about_sofus = await say(db, sofus, "Min ansøgning er sendt")
    jonas, nora = await signed_in("jonas"), await signed_in("nora")
    mette, ali = await signed_in("mette"), await signed_in("ali")
    # Jonas (team Syd) sees his own Sofus, never Mette's Sofie (team Nord).
    assert people_found(await jonas.get("/inbox/search", params={"q": "sof"})) == ["Sofus"]
    page = await jonas.get("/inbox/search", params={"q": "ansøgning"})
    assert messages_found(page) == [about_sofus]
    # Nora (team Nord) may help with Sofie's open handoff, but Sofus is not her team's.
    assert people_found(await nora.get("/inbox/search", params={"q": "sof"})) == ["Sofie"]
    assert messages_found(await nora.get("/inbox/search", params={"q": "ansøgning"})) == [
        about_sofie
    ]
    assert people_found(await mette.get("/inbox/search", params={"q": "sof"})) == ["Sofie"]
    # The team lead sees the whole municipality.
    assert people_found(await ali.get("/inbox/search", params={"q": "sof"})) == ["Sofie", "Sofus"]
    # Written at the same moment: the later stored first.
    assert messages_found(await ali.get("/inbox/search", params={"q": "ansøgning"})) == [
        about_sofus,
        about_sofie,
    ]
    events = await search_events(db)
    assert (world.staff["jonas"], sofie) not in {(s, p) for s, p, _ in events}
    assert (world.staff["nora"], sofus) not in {(s, p) for s, p, _ in events}


async def test_a_message_search_is_audited_and_listed_for_the_team_lead(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    first = await say(db, sofie, "Kan vi flytte mødet?", minutes_ago=5)
    second = await say(db, sofie, "Mødet passer mig ikke", minutes_ago=1)
    mette, ali = await signed_in("mette"), await signed_in("ali")
    # A search that shows no messages reads nothing: no event.
    assert messages_found(await mette.get("/inbox/search", params={"q": "ofi"})) == []
    assert await search_events(db) == []
    assert messages_found(await mette.get("/inbox/search", params={"q": "mødet"})) == [
        second,
        first,
    ]
    # One event for the young person whose messages were shown, naming them, not the query.
    assert await search_events(db) == [(world.staff["mette"], sofie, f"#{first}, #{second}")]
    async with db.session() as session:
        details = (await session.exec(select(AuditEvent.detail))).all()
    assert not any("mødet" in detail.lower() for detail in details)
    # The team lead's audit list for Sofie shows it, with a Danish label.
    listing = (await ali.get(f"/inbox/people/{sofie}")).text.split('id="audit"')[1]
    assert "Så beskeder i en søgning" in listing and "search_messages" not in listing
    assert "Mette Hansen" in listing and "03.03.2026 10.30" in listing


async def test_percent_underscore_and_slash_are_taken_literally(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    percent = await say(db, sofie, "Jeg er 100% klar")
    await say(db, sofie, "Jeg er 1000 klar")
    underscore = await say(db, sofie, "Mit brugernavn er sofie_2008")
    await say(db, sofie, "Jeg er født i sofie 2008")
    slash = await say(db, sofie, "Svaret er ja/nej")
    await say(db, sofie, "Svaret er ja nej")
    mette = await signed_in("mette")
    assert messages_found(await mette.get("/inbox/search", params={"q": "0%"})) == [percent]
    assert messages_found(await mette.get("/inbox/search", params={"q": "e_2"})) == [underscore]
    assert messages_found(await mette.get("/inbox/search", params={"q": "a/n"})) == [slash]
    everything = await mette.get("/inbox/search", params={"q": "%%"})
    assert people_found(everything) == [] and messages_found(everything) == []
    assert people_found(await mette.get("/inbox/search", params={"q": "__"})) == []


async def test_results_are_limited_and_say_so(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    for n in range(51):
        await add_person(db, world, f"Mia {n:02d}", contact="mette")
    sofie = world.people["sofie"]
    for n in range(52):
        await say(db, sofie, f"Husk mødet nummer {n}", minutes_ago=n)
    mette = await signed_in("mette")
    people = await mette.get("/inbox/search", params={"q": "mia"})
    assert len(people_found(people)) == 50 and "Viser de første 50." in people.text
    page = await mette.get("/inbox/search", params={"q": "husk"})
    assert len(messages_found(page)) == 50 and "Viser de 50 nyeste." in page.text
    # The event names what was shown, within the audit column's 300 characters.
    [(_staff, _person, detail)] = await search_events(db)
    assert detail.startswith("#") and len(detail) <= 300
    few = await mette.get("/inbox/search", params={"q": "mia 0"})
    assert len(people_found(few)) == 10 and "Viser de første" not in few.text


async def test_short_empty_and_cpr_queries_get_a_message_not_a_search(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await say(db, world.people["sofie"], "a")
    mette = await signed_in("mette")
    opened = await mette.get("/inbox/search")
    assert opened.status_code == 200
    assert '<a href="/inbox/search" aria-current="page">Søg</a>' in opened.text
    assert '<label for="q">' in opened.text and 'id="q" name="q" type="search"' in opened.text
    assert 'role="alert"' not in opened.text
    for query in ("", "a", "   a  "):
        page = await mette.get("/inbox/search", params={"q": query})
        assert page.status_code == 200
        assert "Skriv mindst 2 tegn for at søge." in page.text
        assert 'id="h-found-messages"' not in page.text
    cpr = await mette.get("/inbox/search", params={"q": "010203-1234"})
    assert cpr.status_code == 200 and "Søg ikke efter CPR-numre." in cpr.text
    assert "010203-1234" not in cpr.text and 'id="h-found-people"' not in cpr.text
    assert await search_events(db) == []


async def test_the_search_page_needs_sign_in_and_speaks_english_too(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns
) -> None:
    async with client(app) as anonymous:
        answer = await anonymous.get("/inbox/search", params={"q": "sofie"})
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox/login"
    mette = await signed_in("mette")
    mette.cookies.set("indgang_lang", "en")
    page = await mette.get("/inbox/search", params={"q": "x"})
    assert "Type at least 2 characters to search." in page.text


def test_excerpt_marks_the_first_hit_with_whole_words_around() -> None:
    body = "Jeg " + "meget " * 20 + "vil gerne have en LÆREPLADS som tømrer " + "nu " * 30
    cut = excerpt(body, "læreplads", context=30)
    assert cut.hit == "LÆREPLADS" and cut.cut_start and cut.cut_end
    assert cut.before == "meget meget vil gerne have en "
    assert cut.after == " som tømrer nu nu nu nu nu nu"
    whole = excerpt("Hej\nmed   dig", "med")
    assert (whole.before, whole.hit, whole.after) == ("Hej ", "med", " dig")
    assert not whole.cut_start and not whole.cut_end


def test_audit_detail_names_every_message_it_can_within_the_column() -> None:
    assert audit_detail([3, 15]) == "#3, #15"
    many = audit_detail(list(range(1_000_000, 1_000_050)))
    assert len(many) <= 300 and many.startswith("#1000000, #1000001")
    shown = many.count("#")
    assert many.endswith(f" … +{50 - shown}")
