"""The Telegram webhook route, mounted in a small FastAPI app and called like Telegram does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from channels.base import Inbound
from channels.telegram.channel import TelegramChannel
from channels.telegram.views import MAX_BODY_BYTES, build_router
from tests.fakes.telegram_api import SERVER_ERROR, FakeTelegram, load_update

SECRET = "s3cr3t-Token_for-webhook"
URL = "/webhooks/telegram"


class Recorder:
    """A receive() that remembers what the engine would have been given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.received: list[Inbound] = []
        self.error = error

    async def __call__(self, inbound: Inbound) -> None:
        self.received.append(inbound)
        if self.error is not None:
            raise self.error


@pytest.fixture
def telegram_receive() -> Recorder:
    return Recorder()


@pytest.fixture
async def telegram_client(
    telegram_channel: TelegramChannel, telegram_receive: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(build_router(telegram_channel, SECRET, telegram_receive))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def headers(secret: str | None = SECRET) -> dict[str, str]:
    result = {"Content-Type": "application/json"}
    if secret is not None:
        result["X-Telegram-Bot-Api-Secret-Token"] = secret
    return result


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET.upper(), SECRET + "x", SECRET[:-1]],
    ids=["missing", "empty", "wrong", "case", "longer", "shorter"],
)
async def test_forged_or_missing_secret_is_refused(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder, secret: str | None
) -> None:
    response = await telegram_client.post(URL, json=load_update("text"), headers=headers(secret))
    assert response.status_code == 403
    assert "detail" in response.json()
    assert telegram_receive.received == []


async def test_oversized_body_is_refused(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder
) -> None:
    payload = load_update("text")
    payload["message"]["text"] = "x" * MAX_BODY_BYTES
    response = await telegram_client.post(URL, json=payload, headers=headers())
    assert response.status_code == 413
    assert telegram_receive.received == []


async def test_oversized_body_without_content_length_is_refused(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * (64 * 1024)
        yield json.dumps(load_update("text")).encode()

    response = await telegram_client.post(URL, content=chunks(), headers=headers())
    assert response.status_code == 413
    assert telegram_receive.received == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"update_id=1", "not valid JSON"),
        (b"\xff\xfe{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"message": {"text": "hej"}}).encode(), "update_id"),
        (json.dumps({"update_id": 5, "message": {"text": "hej"}}).encode(), "message"),
    ],
    ids=["form", "binary", "empty", "array", "no-update-id", "message-without-chat"],
)
async def test_malformed_body_is_a_bad_request(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder, body: bytes, detail: str
) -> None:
    response = await telegram_client.post(URL, content=body, headers=headers())
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert "hej" not in response.json()["detail"]
    assert telegram_receive.received == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("edited_message", "edited"),
        ("my_chat_member", "my_chat_member"),
        ("channel_post", "channel_post"),
        ("group_text", "group chat"),
        ("future_kind", "unknown update kind"),
    ],
)
async def test_ignored_updates_are_acknowledged_not_processed(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder, name: str, reason: str
) -> None:
    response = await telegram_client.post(URL, json=load_update(name), headers=headers())
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": reason}
    assert telegram_receive.received == []


@pytest.mark.parametrize(
    ("name", "text", "has_media"),
    [
        ("text", "Hej, jeg vil gerne tale med min kontaktperson", False),
        ("arabic_text", "مرحبا، أحتاج مساعدة في إيجاد تدريب مهني", False),
        ("voice", "", True),
    ],
)
async def test_messages_reach_the_engine(
    telegram_client: httpx.AsyncClient,
    telegram_receive: Recorder,
    telegram_api: FakeTelegram,
    name: str,
    text: str,
    has_media: bool,
) -> None:
    payload = load_update(name)
    response = await telegram_client.post(URL, json=payload, headers=headers())
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    [inbound] = telegram_receive.received
    assert (inbound.address, inbound.text, inbound.has_media) == ("5123456789", text, has_media)
    assert inbound.provider_id == f"7000000001:{payload['update_id']}"
    assert telegram_api.calls == []


async def test_start_payload_reaches_the_engine(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder
) -> None:
    response = await telegram_client.post(
        URL, json=load_update("start_with_payload"), headers=headers()
    )
    assert response.status_code == 200
    assert telegram_receive.received[0].start_payload == "aarhus-K7Q2M9"


async def test_button_press_is_received_then_answered(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder, telegram_api: FakeTelegram
) -> None:
    response = await telegram_client.post(
        URL, json=load_update("callback_query"), headers=headers()
    )
    assert response.status_code == 200
    [inbound] = telegram_receive.received
    assert (inbound.choice, inbound.text) == ("menu:plan", "")
    [answer] = telegram_api.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2200720184617593312"
    assert answer.status == 200


async def test_failing_callback_answer_does_not_fail_the_webhook(
    telegram_client: httpx.AsyncClient, telegram_receive: Recorder, telegram_api: FakeTelegram
) -> None:
    telegram_api.fail_next(SERVER_ERROR, method="answerCallbackQuery")
    response = await telegram_client.post(
        URL, json=load_update("callback_query"), headers=headers()
    )
    assert response.status_code == 200
    assert len(telegram_receive.received) == 1
    assert [call.status for call in telegram_api.calls_to("answerCallbackQuery")] == [500]


async def test_engine_failure_is_an_error_so_telegram_retries(
    telegram_channel: TelegramChannel, telegram_api: FakeTelegram
) -> None:
    receive = Recorder(error=RuntimeError("database is down"))
    app = FastAPI()
    app.include_router(build_router(telegram_channel, SECRET, receive))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(URL, json=load_update("callback_query"), headers=headers())
    assert response.status_code == 500
    # Not answered: the button keeps spinning until Telegram's retry is stored.
    assert telegram_api.calls_to("answerCallbackQuery") == []


def test_route_is_documented() -> None:
    app = FastAPI()
    channel = TelegramChannel("7000000001:AAH3kq-doc", api_base="http://127.0.0.1:9")
    app.include_router(build_router(channel, SECRET, Recorder()))
    operation = app.openapi()["paths"][URL]["post"]
    assert operation["summary"] == "Receive a Telegram update"
    assert {"200", "400", "403", "413"} <= set(operation["responses"])
    assert "X-Telegram-Bot-Api-Secret-Token" in operation["description"]


def test_an_empty_secret_is_refused() -> None:
    channel = TelegramChannel("7000000001:AAH3kq-doc", api_base="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="secret"):
        build_router(channel, "", Recorder())
