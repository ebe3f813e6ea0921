"""Staff replies are never cut: split into numbered parts that each fit, or refused before
anything is sent; the reply box's counter measures by the SMS channel's own rules."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import col, func, select

from bot.conversation.models import Message
from bot.municipalities.models import Municipality
from bot.outbox.models import OutboxItem
from channels.sms.encoding import analyse
from tests.fixtures.inbox import Staff, client, sign_in
from tests.fixtures.stack import Stack
from tests.world import PASSWORD, TwoTowns, channel_identity, staff_member, young_person

SignedIn = Callable[[str], Awaitable[Staff]]
PHONE = "+4520998877"
NUMBERED = re.compile(r"\((\d+)/(\d+)\) ")
# 900 characters of ordinary Danish (GSM-7: æ, ø and å included), more than 3 segments.
SENTENCES = (
    "Hej Sofie. Jeg har talt med skolen om dit forløb, og de vil gerne se dig til en samtale. "
    "Mødet er på tirsdag kl. 10.00 på Ungdommens Uddannelsesvejledning, Vestergade 12. "
    "Tag gerne dit sygesikringskort og dit seneste karakterblad med, hvis du har det. "
    "Hvis tidspunktet ikke passer, så skriv til mig, så finder vi et andet. "
)
LONG = (SENTENCES * 3)[:900].rstrip()


async def sms_young_person(stack: Stack) -> tuple[int, Staff]:
    """A young person who writes by SMS, with an open conversation, and Mette signed in."""
    async with stack.db.session() as session:
        town = await session.get(Municipality, stack.municipality_id)
        assert town is not None
        mette = await staff_member(
            session, town, name="Mette Holm", email="holm@aarhus.example.dk", password=PASSWORD
        )
        person = await young_person(session, town, first_name="Sofie", contact=mette)
        await channel_identity(session, person, channel="sms", address=PHONE)
        assert person.id is not None
        person_id = person.id
    http = client(stack.app)
    assert (await sign_in(http, "holm@aarhus.example.dk")).status_code == 303
    page = await http.get(f"/inbox/people/{person_id}/conversation")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    http.csrf = token.group(1)
    return person_id, http


async def sent_count(stack: Stack, person_id: int) -> tuple[int, int]:
    async with stack.db.session() as session:
        messages = (
            await session.exec(
                select(func.count())
                .select_from(Message)
                .where(Message.young_person_id == person_id)
            )
        ).one()
        rows = (await session.exec(select(func.count()).select_from(OutboxItem))).one()
    return messages, rows


async def test_a_900_character_reply_arrives_whole_in_numbered_parts(stack: Stack) -> None:
    assert len(LONG) == 900 and analyse(LONG).segments > 3
    person_id, mette = await sms_young_person(stack)
    try:
        answer = await mette.form(f"/inbox/people/{person_id}/reply", {"text": LONG})
        assert answer.status_code == 303, answer.text
        await stack.dispatch()
        bodies = stack.twilio.sent_bodies(PHONE)
    finally:
        await mette.aclose()
    # Two parts would hold 906 characters, but parts end between words: three.
    assert len(bodies) == 3
    numbers = [NUMBERED.match(body) for body in bodies]
    assert [(m.group(1), m.group(2)) for m in numbers if m] == [("1", "3"), ("2", "3"), ("3", "3")]
    for body in bodies:
        shape = analyse(body)
        assert shape.encoding == "GSM-7" and shape.segments <= 3, (shape, body)
        assert not body.rstrip().endswith("...")
    assert "".join(NUMBERED.sub("", body, count=1) for body in bodies) == LONG
    async with stack.db.session() as session:
        stored = (
            await session.exec(
                select(Message)
                .where(Message.young_person_id == person_id)
                .order_by(col(Message.id))
            )
        ).all()
    assert [m.body for m in stored] == bodies and all(m.status != "queued" for m in stored)


@pytest.mark.parametrize(
    "text",
    [
        # Emoji make it UCS-2 (67 units a segment, an emoji two): more than 10 parts of 3.
        "Husk mødet 😀 " * 200,
        # Longer than the inbox takes on any channel.
        "a" * 4001,
    ],
    ids=["ucs2-over-ten-parts", "over-4000-characters"],
)
async def test_a_reply_over_the_most_parts_is_refused_and_nothing_is_queued(
    stack: Stack, text: str
) -> None:
    person_id, mette = await sms_young_person(stack)
    before = await sent_count(stack, person_id)
    try:
        answer = await mette.form(f"/inbox/people/{person_id}/reply", {"text": text})
        counter = await mette.form("/inbox/measure", {"person": str(person_id), "text": text})
    finally:
        await mette.aclose()
    assert answer.status_code == 400
    assert "Beskeden er for lang til den unges kanal" in answer.text
    assert "Intet er sendt." in answer.text
    assert text.strip()[:50] in answer.text  # the draft is kept to be shortened
    assert await sent_count(stack, person_id) == before
    await stack.dispatch()
    assert stack.twilio.sent_bodies(PHONE) == []
    # The counter said so before sending.
    assert counter.json()["parts"] == 0
    assert counter.json()["summary"].startswith("Beskeden er for lang")


@pytest.mark.parametrize(
    "text",
    [
        "Hej Sofie, vi ses i morgen kl. 10.",
        "Hej Sofie, vi ses i morgen kl. 10. Husk {papirerne} og 20 € til bussen. " * 3,
        "Kære Søren, mødet på Åboulevarden flyttes til næste uge. Vi ses på skolen! " * 4,
        "Godt gået 🎉",
        "Godt gået 🎉 " * 12,
        "",
    ],
    ids=["gsm", "gsm-extension", "aeoeaa", "emoji", "emoji-long", "empty"],
)
async def test_the_counter_measures_as_the_sms_channel_does(
    signed_in: SignedIn, world: TwoTowns, text: str
) -> None:
    mette = await signed_in("mette")
    answer = await mette.form(
        "/inbox/measure", {"person": str(world.people["sofie"]), "text": text}
    )
    assert answer.status_code == 200
    measured = answer.json()
    shape = analyse(text.strip())
    assert measured["channel"] == "sms"
    assert (measured["segments"], measured["characters"], measured["encoding"]) == (
        shape.segments,
        shape.characters,
        shape.encoding,
    )
    assert measured["limit"] == (459 if shape.encoding == "GSM-7" else 201)
    assert measured["max_segments"] == 3
    assert measured["parts"] == (1 if shape.segments <= 3 else 2)
    assert f"{shape.segments} SMS" in measured["summary"]


async def test_the_counter_knows_only_young_people_the_staff_member_may_see(
    signed_in: SignedIn, world: TwoTowns
) -> None:
    mette = await signed_in("mette")
    answer = await mette.form("/inbox/measure", {"person": str(world.people["bo"]), "text": "x"})
    assert answer.status_code == 404
    no_token = await mette.post("/inbox/measure", data={"text": "x"})
    assert no_token.status_code == 403
