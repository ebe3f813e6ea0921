"""Telegram end to end: webhook -> engine -> outbox -> dispatcher -> aiogram Bot -> fake API."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import clock, utcnow
from bot.conversation.models import INBOUND, Message
from bot.handoff.models import Handoff
from bot.outbox import service as outbox
from bot.outbox.models import FAILED, PENDING, SENT
from bot.people.models import ChannelIdentity, YoungPerson
from tests.fakes.telegram_api import callback_update, load_update, text_update, too_many_requests
from tests.fixtures.stack import Stack

CHAT = 5123456789
_ids = itertools.count(910_000_001)


def update(name: str, *, chat: int = CHAT, **message_fields: Any) -> dict[str, Any]:
    """A recorded update from tests/data/telegram with a fresh update_id and our chat."""
    payload = load_update(name)
    payload["update_id"] = next(_ids)
    message = payload.get("message") or payload.get("edited_message")
    if message is not None:
        message["chat"]["id"] = message["from"]["id"] = chat
        message.update(message_fields)
    return payload


def start(code: str | None = None, *, chat: int = CHAT) -> dict[str, Any]:
    """`/start` or `/start CODE`, as a t.me deep link makes the app send it."""
    return update("start_with_payload", chat=chat, text=f"/start {code}" if code else "/start")


def keys(params: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button in a sendMessage call."""
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


async def press(stack: Stack, key: str, *, chat: int = CHAT) -> dict[str, Any]:
    """Press a button on the last message; return the one message that answers it."""
    assert key in keys(stack.telegram.sent_messages(chat)[-1]), key
    before = len(stack.telegram.sent_messages(chat))
    response = await stack.telegram_update(callback_update(key, chat_id=chat))
    assert response.status_code == 200
    await stack.dispatch()
    new = stack.telegram.sent_messages(chat)[before:]
    assert len(new) == 1, [m["text"] for m in new]
    return new[0]


async def test_full_conversation_with_invite(stack: Stack) -> None:
    person_id, code = await stack.invite(first_name="Sofie", goal="Blive tømrer")

    assert (await stack.telegram_update(start(code))).status_code == 200
    assert await stack.dispatch() == 1
    welcome = stack.telegram.sent_messages(CHAT)[0]
    assert "Aarhus Kommune" in welcome["text"]
    assert keys(welcome) == ["next", "menu"]
    identity = await stack.identity("telegram", str(CHAT))
    assert (identity.young_person_id, identity.verified) == (person_id, True)

    assert "Vi gemmer" in (await press(stack, "next"))["text"]
    language = await press(stack, "ok")
    assert {"da", "en"} <= set(keys(language))
    # Sofie's name came with the invite, so the name question is skipped.
    menu = await press(stack, "da")
    assert "Tak. Nu kan du bruge chatten." in menu["text"] and "Hvad vil du gerne?" in menu["text"]
    assert keys(menu) == ["plan", "appointment", "contact", "help"]
    plan = await press(stack, "plan")
    assert "Blive tømrer" in plan["text"]
    handed = await press(stack, "contact")
    assert "Mette" in handed["text"]

    handoffs = await stack.all(Handoff)
    assert [(h.young_person_id, h.reason, h.assignee_id) for h in handoffs] == [
        (person_id, "asked", stack.contact_id)
    ]
    # Every button press was answered, so no spinner is left turning on the phone.
    assert len(stack.telegram.calls_to("answerCallbackQuery")) == 5
    assert all(c.status == 200 for c in stack.telegram.calls)
    people = await stack.all(YoungPerson)
    assert [p.id for p in people] == [person_id]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "e2e-webhook-secret-012345678"])
async def test_forged_secret_is_403_and_nothing_stored(stack: Stack, secret: str | None) -> None:
    response = await stack.telegram_update(text_update("hej"), secret=secret)

    assert response.status_code == 403
    assert await stack.all(Message) == []
    assert await stack.all(YoungPerson) == []
    assert await stack.dispatch() == 0
    assert stack.telegram.calls == []


async def test_duplicate_update_gets_one_reply(stack: Stack) -> None:
    payload = start()
    first = await stack.telegram_update(payload)
    again = await stack.telegram_update(payload)

    assert (first.status_code, again.status_code) == (200, 200)
    await stack.dispatch()
    inbound = [m for m in await stack.all(Message) if m.direction == INBOUND]
    assert len(inbound) == 1
    assert len(stack.telegram.sent_messages(CHAT)) == 1


async def test_429_waits_retry_after_on_the_clock(stack: Stack) -> None:
    stack.telegram.fail_next(too_many_requests(retry_after=7))
    await stack.telegram_update(start())
    await stack.dispatch()

    [message] = await stack.outbound("telegram")
    row = await stack.outbox_for(message.id)
    assert (row.status, row.attempts, row.due_at) == (PENDING, 1, utcnow() + timedelta(seconds=7))
    assert (message.status, message.error_code) == ("queued", "429")

    clock.advance(timedelta(seconds=6))
    assert await stack.dispatch() == 0
    assert len(stack.telegram.calls_to("sendMessage")) == 1

    clock.advance(timedelta(seconds=1))
    assert await stack.dispatch() == 1
    assert len(stack.telegram.sent_messages(CHAT)) == 1
    assert (await stack.outbox_for(message.id)).status == SENT


async def test_blocked_bot_marks_identity_and_stops_sending(stack: Stack) -> None:
    stack.telegram.block_chat(CHAT)
    await stack.telegram_update(start())
    await stack.dispatch()

    identity = await stack.identity("telegram", str(CHAT))
    assert identity.unreachable_at == utcnow()
    assert identity.unreachable_reason == "403"
    [first] = await stack.outbound("telegram")
    assert (await stack.outbox_for(first.id)).status == FAILED

    # A reminder written later is not sent: the identity is known to be unreachable.
    async with stack.db.session() as session:
        await outbox.enqueue(
            session, identity=identity, text="Husk mødet i morgen kl. 10.", now=utcnow()
        )
    calls = len(stack.telegram.calls_to("sendMessage"))
    assert await stack.dispatch() == 1
    assert len(stack.telegram.calls_to("sendMessage")) == calls
    reminder = (await stack.outbound("telegram"))[-1]
    assert (reminder.status, (await stack.outbox_for(reminder.id)).last_error) == (
        "failed",
        "recipient unreachable",
    )


async def test_writing_again_after_unblocking_makes_the_chat_reachable(stack: Stack) -> None:
    stack.telegram.block_chat(CHAT)
    await stack.telegram_update(start())
    await stack.dispatch()
    stack.telegram.blocked_chats.clear()

    clock.advance(timedelta(minutes=5))
    await stack.telegram_update(text_update("menu", chat_id=CHAT))
    await stack.dispatch()

    identity = await stack.identity("telegram", str(CHAT))
    assert (identity.unreachable_at, identity.unreachable_reason) == (None, None)
    assert len(stack.telegram.sent_messages(CHAT)) == 1


@pytest.mark.parametrize(
    "name", ["sticker", "voice", "document", "location", "contact", "video_note"]
)
async def test_message_without_text_gets_only_text_reply(stack: Stack, name: str) -> None:
    await stack.telegram_update(start())
    await stack.dispatch()

    response = await stack.telegram_update(update(name))
    await stack.dispatch()

    assert response.status_code == 200
    reply = stack.telegram.sent_messages(CHAT)[-1]
    assert reply["text"] == "Jeg kan kun læse tekst. Skriv gerne med ord."
    assert keys(reply) == ["next", "menu"]  # the question is asked again
    assert len([m for m in await stack.all(Message) if m.direction == INBOUND]) == 2


@pytest.mark.parametrize(
    "name", ["edited_message", "future_kind", "my_chat_member", "channel_post", "group_text"]
)
async def test_ignored_updates_are_200_and_not_processed(stack: Stack, name: str) -> None:
    response = await stack.telegram_update(load_update(name))

    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["ignored"]
    assert await stack.all(Message) == []
    assert stack.telegram.calls == []


async def test_callback_press_is_answered_and_moves_on(stack: Stack) -> None:
    await stack.telegram_update(start())
    await stack.dispatch()

    payload = callback_update("next", chat_id=CHAT)
    await stack.telegram_update(payload)
    await stack.dispatch()

    [answer] = stack.telegram.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == payload["callback_query"]["id"]
    assert "Vi gemmer" in stack.telegram.sent_texts(CHAT)[-1]
    inbound = [m for m in await stack.all(Message) if m.direction == INBOUND]
    assert inbound[-1].provider_id == f"7000000001:{payload['update_id']}"


async def test_unreachable_flag_is_in_the_staff_json(stack: Stack) -> None:
    from bot.staff import service as staff_service

    person_id, code = await stack.invite()
    stack.telegram.block_chat(CHAT)
    await stack.telegram_update(start(code))
    await stack.dispatch()
    async with stack.db.session() as session:
        token, _ = await staff_service.create_session(
            session, staff_id=stack.contact_id, now=utcnow()
        )

    response = await stack.http.get(
        f"/api/young/{person_id}/channels", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["reachable"] is False
    [channel] = body["channels"]
    assert channel["channel"] == "telegram" and channel["unreachable_reason"] == "403"
    assert channel["unreachable_at"] is not None and channel["address_hint"] == "…6789"
    async with stack.db.session() as session:
        rows = (await session.exec(select(ChannelIdentity))).all()
    assert len(rows) == 1
