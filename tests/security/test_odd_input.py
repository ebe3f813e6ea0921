"""Odd input at the edges gets a 4xx, or a 200 for a provider update we deliberately skip,
on both databases; never a 500 (Telegram and Twilio retry those) and nothing half stored.
Issue 17, defect 5: the inputs an attack run found."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import select

from bot.clock import utcnow
from bot.conversation.models import INBOUND, Message
from bot.database import Database
from bot.staff.service import create_session
from tests.fakes.telegram_api import text_update
from tests.fixtures.inbox import Staff, client
from tests.fixtures.stack import SECRET, Stack
from tests.security.routes import call_person_route, person_routes
from tests.world import TwoTowns

SignedIn = Callable[[str], Awaitable[Staff]]

CHAT = 5123456789
HUGE = 2**64  # past a 64-bit integer column


async def inbound_texts(stack: Stack) -> list[str]:
    async with stack.db.session() as session:
        rows = await session.exec(
            select(Message).where(Message.direction == INBOUND).order_by(Message.id)
        )
        return [m.body for m in rows.all()]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("hej\x00menu", "hejmenu"),
        ("\x00", ""),
        ("menu\ud800", "menu\ufffd"),
        ("\udfff\ud83d", "\ufffd\ufffd"),
        ("\u202bمرحبا\u202c 😀\x07", "\u202bمرحبا\u202c 😀"),
    ],
    ids=["nul-inside", "only-nul", "lone-high-surrogate", "reversed-pair", "rtl-emoji-bell"],
)
async def test_nul_bytes_and_lone_surrogates_are_cleaned_and_answered(
    stack: Stack, typed: str, stored: str
) -> None:
    # JSON escapes carry a lone surrogate (\ud800) as Telegram's JSON may; an SMS form is
    # UTF-8, which cannot, so it carries the rest.
    update = json.dumps(text_update(typed, chat_id=CHAT, update_id=77_000_001))
    telegram = await stack.http.post(
        "/webhooks/telegram",
        content=update,
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert telegram.status_code == 200
    expected = [stored]
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in typed):
        assert (await stack.sms(typed)).status_code == 200
        expected.append(stored)
    assert await inbound_texts(stack) == expected
    assert await stack.dispatch() >= len(expected)  # every young person got an answer


@pytest.mark.parametrize(
    "change",
    [
        {"update_id": 10**100},
        {"chat": 10**70},
        {"chat": -(10**70)},
    ],
    ids=["update-id-10^100", "chat-id-10^70", "chat-id-minus-10^70"],
)
async def test_telegram_ids_out_of_range_are_skipped_with_200(
    stack: Stack, change: dict[str, int]
) -> None:
    update: dict[str, Any] = text_update(
        "hej", chat_id=change.get("chat", CHAT), update_id=change.get("update_id", 77_000_002)
    )
    response = await stack.telegram_update(update)
    assert response.status_code == 200
    assert await inbound_texts(stack) == []


async def test_json_nested_deeply_is_400(stack: Stack) -> None:
    body = "[" * 5000 + "]" * 5000
    response = await stack.http.post(
        "/webhooks/telegram",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        },
    )
    assert response.status_code == 400
    deep = {"update_id": 77_000_003, "message": json.loads("[" * 50 + "]" * 50)}
    assert (await stack.telegram_update(deep)).status_code in (200, 400)


@pytest.mark.parametrize("after", [str(HUGE), "-1", "1e9", "abc"])
async def test_the_chat_history_refuses_an_after_out_of_range(stack: Stack, after: str) -> None:
    response = await stack.http.get(
        "/chat/api/messages", params={"visitor": "demo-sofie", "after": after}
    )
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize("huge", [HUGE, -HUGE])
async def test_an_id_past_64_bits_is_not_found_on_every_person_route(
    app: FastAPI, world: TwoTowns, db: Database, signed_in: SignedIn, huge: int
) -> None:
    staff = await signed_in("ali")  # a team lead sees the most
    async with db.session() as session:
        token, _ = await create_session(session, staff_id=world.staff["ali"], now=utcnow())
    bearer = {"Authorization": f"Bearer {token}"}
    answers = {}
    for method, template in person_routes(app):
        path = template.format(
            person_id=huge, milestone_id=huge, appointment_id=huge, message_id=huge
        )
        answers[(method, template)] = await call_person_route(staff, method, template, path, bearer)
    assert {route: code for route, code in answers.items() if code not in (404, 422)} == {}
    for after in (str(HUGE), "-1", "x"):
        assert (await staff.get(f"/inbox/events?after={after}")).status_code in (200, 422)


async def test_json_nested_deeply_to_the_api_is_400(world: TwoTowns, signed_in: SignedIn) -> None:
    staff = await signed_in("mette")
    sofie = world.people["sofie"]
    answer = await staff.request(
        "PUT",
        f"/api/young/{sofie}/plan/goal",
        content="[" * 5000 + "]" * 5000,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 422)


async def test_a_huge_body_without_a_session_is_refused_before_it_is_read(
    app: FastAPI, world: TwoTowns
) -> None:
    """50 MB to any route, unsigned: 413 after reading little more than the limit."""
    from bot.app import MAX_BODY_BYTES

    sofie = world.people["sofie"]
    for method, path in (
        ("PUT", f"/api/young/{sofie}/plan/goal"),
        ("POST", f"/inbox/people/{sofie}/reply"),
        ("POST", "/inbox/login"),
    ):
        sent = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            chunk = b"x" * 65536
            for _ in range(50 * 16):  # 50 MiB
                sent += len(chunk)
                yield chunk

        async with client(app) as http:
            answer = await http.request(
                method, path, content=body(), headers={"Content-Type": "application/json"}
            )
        # 413 once the limit is passed, or a refusal (401, 403) that comes before reading.
        assert answer.status_code in (401, 403, 413), (path, answer.status_code)
        assert sent <= MAX_BODY_BYTES + 2 * 65536, (path, sent)
    async with client(app) as http:  # declared too long: refused before a byte is read
        answer = await http.put(
            f"/api/young/{sofie}/plan/goal",
            content=b"{}",
            headers={"Content-Type": "application/json", "Content-Length": str(50 * 2**20)},
        )
    assert answer.status_code == 413
