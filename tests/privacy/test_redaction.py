"""CPR numbers never stored, and no bodies, numbers or chat ids in logs, over real webhooks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlmodel import select as sm_select

from bot.conversation.models import Message
from bot.database import metadata
from bot.logs import mask, scrub
from tests.fakes.telegram_api import TEST_TOKEN, callback_update, text_update
from tests.fixtures.stack import Stack

PHONE = "+4520123456"
CHAT_ID = 5123456789
CPR_FORMS = ("010203-1234", "0102031234", "010203 1234")
SECRET_BODY = "Zelda Kringlebakke fra Vestergade"


@pytest.fixture
def log_output(stack: Stack) -> Iterator[io.StringIO]:
    """Everything the app's configured log handler writes, at DEBUG, as text."""
    root = logging.getLogger()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield buffer
    root.setLevel(level)
    handler.setStream(previous)


async def conversation(stack: Stack) -> None:
    """Onboarding, a CPR number, a private sentence, the menu and a data question."""
    messages = [
        "hej",
        "1",
        "1",
        "1",
        "Zelda",
        f"mit cpr er {CPR_FORMS[0]}",
        SECRET_BODY,
        f"igen {CPR_FORMS[1]} og {CPR_FORMS[2]}",
        "menu",
        "hvad ved I om mig",
    ]
    for text in messages:
        assert (await stack.sms(text, sender=PHONE)).status_code == 200
        await stack.dispatch()
        response = await stack.telegram_update(text_update(text, chat_id=CHAT_ID))
        assert response.status_code == 200
        await stack.dispatch()
    # A button press too, and a forged request that is refused and logged.
    await stack.telegram_update(callback_update("menu", chat_id=CHAT_ID))
    await stack.twilio_post(
        "/webhooks/twilio/sms",
        {"From": PHONE, "Body": SECRET_BODY, "MessageSid": "SM" + "0" * 32},
        token="x",
    )
    await stack.dispatch()


async def test_cpr_is_redacted_everywhere_and_logs_hold_nothing_personal(
    stack: Stack, log_output: io.StringIO
) -> None:
    await conversation(stack)

    # Stored: redacted in the message rows...
    async with stack.db.session() as session:
        bodies = (
            await session.exec(sm_select(Message.body).where(Message.direction == "in"))
        ).all()
    assert "mit cpr er [CPR]" in bodies and "igen [CPR] og [CPR]" in bodies
    # ...and in no column of any table.
    async with stack.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                dump = " ".join(str(value) for value in row)
                for form in CPR_FORMS:
                    assert form not in dump, (table.name, form)

    # Told once per young person, in the reply to the first number.
    sms_warnings = [b for b in stack.twilio.sent_bodies(PHONE) if "ligner et CPR-nummer" in b]
    tg_warnings = [t for t in stack.telegram.sent_texts(CHAT_ID) if "ligner et CPR-nummer" in t]
    assert len(sms_warnings) == 1 and len(tg_warnings) == 1

    logs = log_output.getvalue()
    assert "inbound.handled" in logs and "dispatcher" in logs  # the capture works
    forbidden = [
        *CPR_FORMS,
        "Kringlebakke",
        "Vestergade",
        "Zelda",
        PHONE,
        PHONE[1:],
        PHONE[3:],
        str(CHAT_ID),
        TEST_TOKEN,
        TEST_TOKEN.split(":")[1],
        stack.twilio.auth_token,
        "mit cpr er",
        "hvad ved I om mig",
    ]
    leaked = [word for word in forbidden if word in logs]
    assert leaked == [], logs


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"event": "sent", "body": "hej"}, {"event": "sent", "body": "[redacted]"}),
        ({"event": "x", "address": "+4520123456"}, {"event": "x", "address": "[redacted]"}),
        ({"event": "to +4520123456 now"}, {"event": "to [digits] now"}),
        ({"event": "chat 5123456789"}, {"event": "chat [digits]"}),
        ({"event": "cpr 010203-1234"}, {"event": "cpr [digits]"}),
        (
            {"event": "POST /bot7000000001:AAH3kq-test_token_for_the_fake_api_0/sendMessage"},
            {"event": "POST /bot[token]/sendMessage"},
        ),
        (
            {"event": "bad", "error": "1 validation error input_value='jeg hedder Zelda'"},
            {"event": "bad", "error": "1 validation error input_value=[redacted]"},
        ),
        (
            {"event": "e", "extra": {"chat_id": 1, "n": "+4520123456"}},
            {"event": "e", "extra": {"chat_id": "[redacted]", "n": "[digits]"}},
        ),
        (
            {"event": "ok", "outbox_id": 12, "latency_ms": 3},
            {"event": "ok", "outbox_id": 12, "latency_ms": 3},
        ),
    ],
)
def test_scrub(event: dict[str, object], expected: dict[str, object]) -> None:
    assert dict(scrub(None, "info", dict(event))) == expected


def test_mask_keeps_short_numbers() -> None:
    text = "outbox 42 after 3 attempts, status 429"
    assert mask(text) == text
