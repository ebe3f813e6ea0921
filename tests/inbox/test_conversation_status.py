"""The queue's status follows the conversation; closing and transferring tell the young
person what happens next and offer the menu. Over HTTP against the real app."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import count

from fastapi import FastAPI
from sqlmodel import col, select

from bot.clock import clock, utcnow
from bot.conversation.models import Message
from bot.database import Database
from bot.handoff.models import Handoff
from bot.inbox.formatting import Formatter
from bot.outbox.models import OutboxItem
from channels.base import Inbound
from tests.fixtures.inbox import Staff
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]
SOFIE_PHONE, ABY_NUMBER = "+4520000001", "+4550000001"  # tests.world.two_towns
MENU_KEYS = ["plan", "appointment", "contact", "help"]  # content/flows/menu.yaml
_ids = count(1)


async def sofie_writes(app: FastAPI, text: str) -> None:
    """An SMS from Sofie, handled by the app's receiver as the Twilio webhook hands it on."""
    await app.state.receiver(
        Inbound(
            channel="sms",
            address=SOFIE_PHONE,
            provider_id=f"SMstatus{next(_ids)}",
            text=text,
            endpoint=ABY_NUMBER,
        )
    )


async def sent_to(db: Database, person_id: int) -> list[tuple[Message, OutboxItem]]:
    """Messages to the young person that have an outbox row, oldest first."""
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Message, OutboxItem)
                .join(OutboxItem, col(OutboxItem.message_id) == Message.id)
                .where(Message.young_person_id == person_id)
                .order_by(col(Message.id))
            )
        ).all()
    return [(m, o) for m, o in rows]


def status_of(page: str) -> str:
    found = re.findall(r'data-handoff-status="([a-z_]+)"', page)
    assert len(found) == 1, found
    return found[0]


async def test_a_young_person_writing_after_a_staff_reply_is_waiting_on_us_again(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    queue = await mette.get("/inbox")
    # Asked for a human two hours ago, nobody answered: the first reply is due.
    first_due = utcnow() - timedelta(hours=2) + timedelta(hours=24)
    when = Formatter("da", "Europe/Copenhagen").when
    assert status_of(queue.text) == "waiting_on_us"
    assert f"Første svar senest {when(first_due)}" in queue.text
    assert "<title>(1) Kø · Indgang</title>" in queue.text

    await mette.form(f"/inbox/people/{sofie}/reply", {"text": "Hej Sofie, jeg ringer kl. 14."})
    queue = await mette.get("/inbox")
    assert status_of(queue.text) == "waiting_on_young"
    assert "Venter på den unge" in queue.text
    assert "<title>Kø · Indgang</title>" in queue.text
    assert (await mette.get("/inbox/queue")).headers["x-waiting"] == "0"

    clock.advance(timedelta(minutes=20))
    await sofie_writes(app, "Okay, men hvad skal jeg have med?")
    clock.advance(timedelta(minutes=10))
    await sofie_writes(app, "Er du der?")
    queue = await mette.get("/inbox")
    # Due the target after her first message since the reply, not after the last one.
    next_due = utcnow() - timedelta(minutes=10) + timedelta(hours=24)
    assert status_of(queue.text) == "waiting_on_us"
    assert "Venter på os" in queue.text
    assert f"Næste svar senest {when(next_due)}" in queue.text
    assert f'data-due="{next_due.isoformat()}"' in queue.text
    assert "<title>(1) Kø · Indgang</title>" in queue.text
    assert (await mette.get("/inbox/queue")).headers["x-waiting"] == "1"
    conversation = await mette.get(f"/inbox/people/{sofie}/conversation")
    assert status_of(conversation.text) == "waiting_on_us"

    # A reply set to go later is an answer planned: scheduled, and not counted as waiting.
    await mette.form(
        f"/inbox/people/{sofie}/reply",
        {"text": "Tag dit pas med.", "when": "later", "send_at": "2026-03-04T08:00"},
    )
    queue = await mette.get("/inbox")
    assert status_of(queue.text) == "scheduled"
    assert "Planlagt svar" in queue.text
    assert (await mette.get("/inbox/queue")).headers["x-waiting"] == "0"

    # Once it has gone, she is waiting for us no longer.
    clock.set(utcnow().replace(day=4, hour=7, minute=1))  # 08:01 in Copenhagen
    queue = await (await signed_in("mette")).get("/inbox")  # the session timed out overnight
    assert status_of(queue.text) == "waiting_on_young"


async def test_overdue_next_reply_is_flagged(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    await mette.form(f"/inbox/people/{sofie}/reply", {"text": "Hej Sofie."})
    clock.advance(timedelta(minutes=1))
    await sofie_writes(app, "Hej igen")
    clock.advance(timedelta(hours=25))
    queue = await (await signed_in("mette")).get("/inbox")  # the session timed out meanwhile
    assert status_of(queue.text) == "waiting_on_us"
    assert "Over svarfristen" in queue.text and 'class=" overdue"' in queue.text


async def test_closing_tells_the_young_person_and_offers_the_menu(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    assert (await mette.form(f"/inbox/people/{sofie}/close")).status_code == 303
    [(told, item)] = await sent_to(db, sofie)
    assert told.body.startswith(
        "Mette har afsluttet samtalen, og du kan altid skrive til os igen her."
    )
    assert [c["key"] for c in told.choices] == MENU_KEYS
    assert item.urgent and item.due_at == utcnow()

    await sofie_writes(app, "2")
    [_, (answer, _item)] = await sent_to(db, sofie)
    assert answer.body.startswith("Dit næste møde er"), answer.body
    assert "Vælg en af mulighederne" not in answer.body


async def test_transferring_names_the_new_person_and_offers_the_menu(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    answer = await mette.form(f"/inbox/people/{sofie}/assign", {"to": str(world.staff["nora"])})
    assert answer.status_code == 303
    [(told, _item)] = await sent_to(db, sofie)
    assert told.body.startswith(
        "Mette har givet din samtale videre til Nora, som skriver til dig her."
    )
    assert [c["key"] for c in told.choices] == MENU_KEYS

    # A pick from that menu is the bot's to answer, though Nora now holds the conversation.
    await sofie_writes(app, "2")
    [_, (answer_to_pick, _)] = await sent_to(db, sofie)
    assert answer_to_pick.body.startswith("Dit næste møde er"), answer_to_pick.body
    async with db.session() as session:
        handoff = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).one()
    assert handoff.status == "open" and handoff.assignee_id == world.staff["nora"]


async def test_a_number_written_after_a_staff_message_is_for_the_staff_member(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette, nora = await signed_in("mette"), await signed_in("nora")
    await mette.form(f"/inbox/people/{sofie}/assign", {"to": str(world.staff["nora"])})
    await nora.form(f"/inbox/people/{sofie}/reply", {"text": "Hvor mange dage kan du komme?"})
    before = len(await sent_to(db, sofie))
    clock.advance(timedelta(minutes=1))
    await sofie_writes(app, "2")
    assert len(await sent_to(db, sofie)) == before  # no bot answer: it waits for Nora
    assert status_of((await nora.get("/inbox")).text) == "waiting_on_us"


async def test_absence_hands_the_conversation_to_the_stand_in_and_tells_the_young_person(
    app: FastAPI, signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    saved = await mette.form(
        "/inbox/me/absence",
        {
            "absent_from": "2026-03-03T09:00",  # local time; the clock stands at 10:30
            "absent_until": "2026-03-06T08:00",
            "stand_in_id": str(world.staff["nora"]),
        },
    )
    assert saved.status_code == 303
    [(told, _item)] = await sent_to(db, sofie)
    assert told.body.startswith(
        "Mette er væk til fredag, så Nora skriver til dig her i mellemtiden."
    )
    assert [c["key"] for c in told.choices] == MENU_KEYS
    async with db.session() as session:
        handoff = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).one()
    assert handoff.assignee_id == world.staff["nora"] and handoff.status == "open"

    # Saving the same absence again moves nothing and says nothing more.
    await mette.form(
        "/inbox/me/absence",
        {
            "absent_from": "2026-03-03T09:00",
            "absent_until": "2026-03-06T08:00",
            "stand_in_id": str(world.staff["nora"]),
        },
    )
    assert len(await sent_to(db, sofie)) == 1


async def test_an_absence_that_cannot_be_saved_says_why_in_danish(
    signed_in: SignedIn, world: TwoTowns
) -> None:
    mette = await signed_in("mette")
    backwards = await mette.form(
        "/inbox/me/absence",
        {"absent_from": "2026-03-06T08:00", "absent_until": "2026-03-03T09:00"},
    )
    assert backwards.status_code == 400
    assert "Skriv begge tider, og slut efter start." in backwards.text
    assert 'name="absent_from"' in backwards.text  # the form is there to try again
    herself = await mette.form(
        "/inbox/me/absence",
        {
            "absent_from": "2026-03-03T09:00",
            "absent_until": "2026-03-06T08:00",
            "stand_in_id": str(world.staff["mette"]),
        },
    )
    assert herself.status_code == 400
    assert "Vælg en kollega som stedfortræder." in herself.text


async def test_an_urgent_handoff_is_due_soon_after_staff_are_next_at_work(
    db: Database, signed_in: SignedIn, world: TwoTowns
) -> None:
    """A crisis on Saturday night is due Monday 08:15, not a day later; by day, in 15 minutes."""
    sofie = world.people["sofie"]
    saturday_night = datetime(2026, 3, 7, 22, 0, tzinfo=UTC)  # 23:00 in Copenhagen
    async with db.session() as session:
        [handoff] = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).all()
        handoff.urgent, handoff.opened_at = True, saturday_night
        session.add(handoff)
    clock.set(datetime(2026, 3, 8, 9, 0, tzinfo=UTC))  # Sunday
    when = Formatter("da", "Europe/Copenhagen").when
    queue = await (await signed_in("mette")).get("/inbox")
    monday = datetime(2026, 3, 9, 7, 15, tzinfo=UTC)  # 08:15 in Copenhagen
    assert f"Første svar senest {when(monday)}" in queue.text
    assert "Over svarfristen" not in queue.text

    tuesday_morning = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    async with db.session() as session:
        [handoff] = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).all()
        handoff.opened_at = tuesday_morning
        session.add(handoff)
    clock.set(tuesday_morning + timedelta(minutes=16))
    queue = await (await signed_in("mette")).get("/inbox")
    assert f"Første svar senest {when(tuesday_morning + timedelta(minutes=15))}" in queue.text
    assert "Over svarfristen" in queue.text
