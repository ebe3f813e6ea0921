"""Invites link chats to a young person; both channels; reminders go where they wrote last."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.audit.models import AuditEvent
from bot.clock import clock, utcnow
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.staff import service as staff_service
from tests.e2e.test_sms_flow import PHONE, say
from tests.e2e.test_telegram_flow import CHAT, start
from tests.fakes.telegram_api import text_update
from tests.fixtures.stack import Stack
from tests.world import municipality, staff_member


async def people_rows(stack: Stack) -> list[YoungPerson]:
    return list(await stack.all(YoungPerson))


async def test_code_works_once_then_the_next_sender_is_a_new_unassigned_person(
    stack: Stack,
) -> None:
    person_id, code = await stack.invite()

    await stack.telegram_update(start(code, chat=CHAT))
    await stack.telegram_update(start(code, chat=CHAT + 1))
    await stack.dispatch()

    first = await stack.identity("telegram", str(CHAT))
    second = await stack.identity("telegram", str(CHAT + 1))
    assert first.young_person_id == person_id and first.verified
    assert second.young_person_id != person_id and not second.verified
    stranger = next(p for p in await people_rows(stack) if p.id == second.young_person_id)
    assert (stranger.contact_person_id, stranger.municipality_id) == (None, stack.municipality_id)


async def test_expired_code_is_refused_and_the_sender_onboarded_as_new(stack: Stack) -> None:
    person_id, code = await stack.invite()
    clock.advance(people.INVITE_LIFETIME)

    [welcome] = await say(stack, code)

    assert "Aarhus Kommune" in welcome
    identity = await stack.identity("sms", PHONE)
    assert identity.young_person_id != person_id and not identity.verified
    newcomer = next(p for p in await people_rows(stack) if p.id == identity.young_person_id)
    assert newcomer.contact_person_id is None


async def test_code_over_sms_links_the_number(stack: Stack) -> None:
    person_id, code = await stack.invite()

    await say(stack, code)

    identity = await stack.identity("sms", PHONE)
    assert (identity.young_person_id, identity.verified) == (person_id, True)
    assert [p.id for p in await people_rows(stack)] == [person_id]


async def test_both_channels_linked_and_reminders_follow_the_last_used(stack: Stack) -> None:
    person_id, telegram_code = await stack.invite()
    await stack.telegram_update(start(telegram_code))
    await stack.dispatch()
    async with stack.db.session() as session:
        sms_code = await people.create_invite(session, person_id=person_id, now=utcnow())

    clock.advance(timedelta(minutes=1))
    [menu] = await say(stack, sms_code)

    # The second channel skips the introduction and starts at the menu.
    assert "Hvad vil du gerne?" in menu and "Aarhus Kommune" not in menu
    telegram = await stack.identity("telegram", str(CHAT))
    sms = await stack.identity("sms", PHONE)
    assert telegram.young_person_id == sms.young_person_id == person_id
    async with stack.db.session() as session:
        preferred = await people.preferred_identity(session, person_id=person_id)
    assert preferred is not None and preferred.channel == "sms"

    clock.advance(timedelta(minutes=1))
    await stack.telegram_update(text_update("menu", chat_id=CHAT))
    async with stack.db.session() as session:
        preferred = await people.preferred_identity(session, person_id=person_id)
    assert preferred is not None and preferred.channel == "telegram"

    # Telegram blocked: reminders fall back to the number.
    stack.telegram.block_chat(CHAT)
    await stack.dispatch()
    async with stack.db.session() as session:
        preferred = await people.preferred_identity(session, person_id=person_id)
    assert preferred is not None and preferred.channel == "sms"


async def test_channels_json_is_audited_and_closed_to_other_municipalities(stack: Stack) -> None:
    person_id, code = await stack.invite()
    await say(stack, code)
    async with stack.db.session() as session:
        odense = await municipality(session, name="Odense Kommune", code="461")
        outsider = await staff_member(session, odense, name="Ole")
        assert outsider.id is not None
        own, _ = await staff_service.create_session(
            session, staff_id=stack.contact_id, now=utcnow()
        )
        foreign, _ = await staff_service.create_session(session, staff_id=outsider.id, now=utcnow())
    url = f"/api/young/{person_id}/channels"

    ok = await stack.http.get(url, headers={"Authorization": f"Bearer {own}"})
    hidden = await stack.http.get(url, headers={"Authorization": f"Bearer {foreign}"})
    anonymous = await stack.http.get(url)

    assert (ok.status_code, hidden.status_code, anonymous.status_code) == (200, 404, 401)
    [channel] = ok.json()["channels"]
    assert channel == {
        **channel,
        "channel": "sms",
        "address_hint": "…3456",
        "preferred": True,
        "unreachable_at": None,
        "opted_out_at": None,
        "verified": True,
    }
    assert PHONE not in ok.text
    async with stack.db.session() as session:
        events = (await session.exec(select(AuditEvent))).all()
    assert [(e.staff_id, e.young_person_id, e.action) for e in events] == [
        (stack.contact_id, person_id, "read_channels")
    ]
