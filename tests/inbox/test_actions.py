"""The queue and the actions on a conversation, over HTTP against the real app."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.audit.models import AuditEvent
from bot.clock import clock, utcnow
from bot.conversation.models import ConversationState, Message
from bot.database import Database
from bot.handoff.models import Handoff
from bot.outbox.models import OutboxItem
from tests.fixtures.inbox import Staff
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]


async def outgoing(db: Database, person_id: int) -> list[tuple[Message, OutboxItem | None]]:
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Message, OutboxItem)
                .join(OutboxItem, col(OutboxItem.message_id) == Message.id, isouter=True)
                .where(Message.young_person_id == person_id, Message.direction == "out")
                .order_by(col(Message.id))
            )
        ).all()
    return [(m, o) for m, o in rows]


async def test_queue_urgent_first_then_longest_waiting(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    async with db.session() as session:
        from bot.people.models import YoungPerson

        for name, urgent, hours in (("Akut", True, 0.1), ("Gammel", False, 30)):
            person = YoungPerson(
                municipality_id=world.towns["aby"],
                first_name=name,
                contact_person_id=world.staff["nora"],
            )
            session.add(person)
            await session.flush()
            session.add(
                Handoff(
                    young_person_id=person.id,
                    reason="crisis" if urgent else "asked",
                    urgent=urgent,
                    assignee_id=world.staff["nora"],
                    opened_at=utcnow() - timedelta(hours=hours),
                )
            )
    mette = await signed_in("mette")
    page = await mette.get("/inbox")
    names = re.findall(r'conversation">([^<]+)</a>', page.text)
    assert names == ["Akut", "Gammel", "Sofie"]
    assert "<title>(3) Kø · Indgang</title>" in page.text
    # Gammel waited 30 hours against a 24-hour target: highlighted as overdue.
    assert re.search(
        r'<tr class=" overdue">\s*<td><a href="/inbox/people/\d+/conversation">'
        r"Gammel",
        page.text,
    )
    assert "Over svarfristen" in page.text
    mine = await mette.get("/inbox?view=mine")
    assert re.findall(r'conversation">([^<]+)</a>', mine.text) == ["Sofie"]
    unassigned = await mette.get("/inbox?view=unassigned")
    assert "Ingen åbne samtaler" in unassigned.text
    fragment = await mette.get("/inbox/queue?view=team")
    assert fragment.headers["x-waiting"] == "3"


async def test_reply_goes_through_the_outbox_and_answers_the_handoff(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    assert (await mette.form(f"/inbox/people/{sofie}/take")).status_code == 303
    answer = await mette.form(f"/inbox/people/{sofie}/reply", {"text": "Hej Sofie 👋"})
    assert answer.status_code == 303
    [(message, item)] = await outgoing(db, sofie)
    assert message.author == "staff" and message.staff_id == world.staff["mette"]
    assert item is not None and item.status == "pending" and item.due_at == utcnow()
    async with db.session() as session:
        handoff = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).one()
    assert handoff.status == "held" and handoff.first_reply_at == utcnow()
    page = await mette.get(f"/inbox/people/{sofie}/conversation")
    assert 'dir="auto"' in page.text and "Hej Sofie 👋" in page.text


async def test_internal_note_is_never_sent(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    await mette.form(f"/inbox/people/{sofie}/note", {"text": "Ringede til skolen."})
    [(note, item)] = await outgoing(db, sofie)
    assert note.internal and item is None


@pytest.mark.parametrize(
    "text", ["Dit CPR er 010203-1234", "Din depression er vigtig", "Vi har fået en underretning"]
)
async def test_confidential_reply_is_held_until_confirmed(
    signed_in: SignedIn, world: TwoTowns, db: Database, text: str
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    held = await mette.post(
        f"/inbox/people/{sofie}/reply", data={"csrf_token": mette.csrf, "text": text}
    )
    assert held.status_code == 409 and "Send alligevel" in held.text
    assert text in held.text  # the draft is kept for editing
    assert await outgoing(db, sofie) == []
    confirmed = await mette.form(f"/inbox/people/{sofie}/reply", {"text": text, "confirm": "1"})
    assert confirmed.status_code == 303
    [(message, _)] = await outgoing(db, sofie)
    assert message.body == text
    async with db.session() as session:
        actions = (
            await session.exec(select(AuditEvent.action).where(AuditEvent.young_person_id == sofie))
        ).all()
    assert "confidential_confirmed" in actions


async def test_digital_post_sends_only_a_pointer(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    text = "Din diagnose er klar"
    answer = await mette.form(
        f"/inbox/people/{sofie}/reply", {"text": text, "action": "digital_post"}
    )
    assert answer.status_code == 303
    sent = [(m, o) for m, o in await outgoing(db, sofie) if o is not None]
    notes = [m for m, o in await outgoing(db, sofie) if m.internal]
    assert [m.body for m, _ in sent] == [
        "Vi har sendt dig et brev i Digital Post. Du kan læse det i appen Digital Post "
        "eller på borger.dk."
    ]
    assert len(notes) == 1 and text in notes[0].body


async def test_send_later_is_pending_and_can_be_cancelled(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    # 22:30 local on Tuesday 3 March; send on Wednesday at 08:00 instead.
    clock.set(clock.now().replace(hour=21, minute=30))
    mette = await signed_in("mette")
    page = await mette.get(f"/inbox/people/{sofie}/conversation")
    assert 'value="2026-03-04T08:00"' in page.text  # suggested: tomorrow at work start
    answer = await mette.form(
        f"/inbox/people/{sofie}/reply",
        {"text": "Godmorgen", "when": "later", "send_at": "2026-03-04T08:00"},
    )
    assert answer.status_code == 303
    [(message, item)] = await outgoing(db, sofie)
    assert item is not None and item.due_at.isoformat() == "2026-03-04T07:00:00+00:00"
    page = await mette.get(f"/inbox/people/{sofie}/messages")
    assert "Planlagt til" in page.text and "Annullér" in page.text
    cancel = await mette.form(f"/inbox/people/{sofie}/scheduled/{message.id}/cancel")
    assert cancel.status_code == 303
    [(message, item)] = await outgoing(db, sofie)
    assert item is not None and item.status == "cancelled" and message.status == "cancelled"
    past = await mette.form(
        f"/inbox/people/{sofie}/reply",
        {"text": "For sent", "when": "later", "send_at": "2026-03-01T08:00"},
    )
    assert past.status_code == 400


async def test_hand_back_tells_the_young_person_and_asks_once(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    assert (await mette.form(f"/inbox/people/{sofie}/handback")).status_code == 303
    [(message, item)] = await outgoing(db, sofie)
    assert message.body.startswith("Mette har givet samtalen tilbage til chatbotten.")
    assert message.body.endswith("Fik du den hjælp, du havde brug for?")
    assert [c["key"] for c in message.choices] == ["yes", "no", "menu"]
    assert item is not None
    async with db.session() as session:
        state = await session.get(ConversationState, sofie)
        handoff = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).one()
    assert state is not None and (state.flow, state.step) == ("handback", "ask")
    assert handoff.status == "closed" and handoff.closed_at == utcnow()


async def test_assign_to_a_colleague_in_another_department(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette = await signed_in("mette")
    answer = await mette.form(f"/inbox/people/{sofie}/assign", {"to": str(world.staff["ali"])})
    assert answer.status_code == 303
    async with db.session() as session:
        handoff = (
            await session.exec(select(Handoff).where(Handoff.young_person_id == sofie))
        ).one()
    assert handoff.assignee_id == world.staff["ali"] and handoff.status == "open"


async def test_each_view_is_audited_and_listed_for_the_team_lead(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    sofie = world.people["sofie"]
    mette, ali = await signed_in("mette"), await signed_in("ali")
    for _ in range(2):
        assert (await mette.get(f"/inbox/people/{sofie}/conversation")).status_code == 200
    assert (await mette.get(f"/inbox/people/{sofie}")).status_code == 200
    async with db.session() as session:
        events = (
            await session.exec(
                select(AuditEvent)
                .where(AuditEvent.young_person_id == sofie)
                .order_by(col(AuditEvent.id))
            )
        ).all()
    assert [(e.staff_id, e.action) for e in events] == [
        (world.staff["mette"], "view_conversation"),
        (world.staff["mette"], "view_conversation"),
        (world.staff["mette"], "view_plan"),
    ]
    lead_page = await ali.get(f"/inbox/people/{sofie}")
    audit = lead_page.text.split('id="audit"')[1]
    assert (
        audit.count("Mette Hansen") == 3
        and audit.count("Så samtalen") == 2
        and "view_conversation" not in audit
    )
    own_page = await mette.get(f"/inbox/people/{sofie}")
    assert 'id="audit"' not in own_page.text


async def test_create_young_person_gives_an_invite(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    mette = await signed_in("mette")
    answer = await mette.form(
        "/inbox/people", {"first_name": "Yasmin", "birth_year": "2008", "language": "en"}
    )
    assert answer.status_code == 200
    code = re.search(r'id="invite-code">([A-Z0-9]{8})<', answer.text)
    assert code is not None
    assert "+4550000001" in answer.text  # the SMS number to send the code to
    from bot.people.service import redeem_invite

    async with db.session() as session:
        invite = await redeem_invite(session, code=code.group(1), now=utcnow())
    assert invite is not None
    people = await mette.get("/inbox/people")
    assert "Yasmin" in people.text


async def test_english_switch(signed_in: SignedIn, world: TwoTowns) -> None:
    mette = await signed_in("mette")
    switched = await mette.get("/inbox/lang/en?next=/inbox/people")
    assert switched.status_code == 303 and switched.headers["location"] == "/inbox/people"
    page = await mette.get("/inbox")
    assert '<html lang="en">' in page.text and "Queue" in page.text
    # The young person's language is named in the reader's language.
    sofie = world.people["sofie"]
    conversation = await mette.get(f"/inbox/people/{sofie}/conversation")
    assert "Message to Sofie (in Danish)" in conversation.text
    assert ">Danish</strong>" in conversation.text  # "Language: Danish"
    await mette.get("/inbox/lang/da?next=/inbox")
    conversation = await mette.get(f"/inbox/people/{sofie}/conversation")
    assert "Besked til Sofie (på dansk)" in conversation.text
    assert (await mette.get("/inbox/lang/en?next=https://evil.example")).headers[
        "location"
    ] == "/inbox"
