"""TelegramChannel.send with a real aiogram Bot against the fake Bot API server."""

from __future__ import annotations

import socket

import pytest

from channels.base import Choice, Outbound, SendError, SendResult
from channels.telegram.channel import TelegramChannel
from tests.fakes.telegram_api import (
    BAD_GATEWAY,
    BLOCKED,
    CHAT_NOT_FOUND,
    SERVER_ERROR,
    TEST_TOKEN,
    UNAUTHORIZED,
    Failure,
    FakeTelegram,
    stall,
    too_many_requests,
)

CHAT = 5123456789


def outbound(text: str = "Hej Sofie", choices: tuple[Choice, ...] = ()) -> Outbound:
    return Outbound(message_id=1, address=str(CHAT), text=text, choices=choices)


def test_channel_describes_itself() -> None:
    assert TelegramChannel.name == "telegram"
    assert TelegramChannel.capabilities.buttons is True
    assert TelegramChannel.capabilities.max_length == 4096
    assert TelegramChannel.capabilities.per_recipient_interval == 1.0


async def test_bot_id_and_render(telegram_channel: TelegramChannel) -> None:
    assert telegram_channel.bot_id == "7000000001"
    # Telegram counts sends per bot: every process sending as this bot shares one pace.
    assert telegram_channel.capabilities.pace_key == "telegram:7000000001"
    choices = (Choice("yes", "Ja"),)
    # Buttons carry the choices, so the text is not decorated with them.
    assert telegram_channel.render("Kommer du?", choices) == "Kommer du?"


async def test_plain_text_is_sent_without_keyboard_or_markup_parsing(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    text = "Mødet er <b>i morgen</b> kl. 10 & husk dit sygesikringskort 🪪"
    result = await telegram_channel.send(outbound(text))

    assert result == SendResult(provider_id=f"{CHAT}:1", status="sent", encoding="UTF-8")
    [params] = telegram_api.sent_messages(CHAT)
    assert params["chat_id"] == CHAT
    assert params["text"] == text
    assert "reply_markup" not in params
    # Plain text: HTML in content must not be interpreted or rejected.
    assert "parse_mode" not in params


async def test_choices_become_one_inline_button_per_row(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    choices = (
        Choice("plan", "Min plan 📋"),
        Choice("human", "Tal med en voksen"),
        Choice("lang:ar", "العربية"),
    )
    first = await telegram_channel.send(outbound("Hvad vil du?", choices))
    second = await telegram_channel.send(outbound("Og nu?"))

    assert (first.provider_id, second.provider_id) == (f"{CHAT}:1", f"{CHAT}:2")
    params = telegram_api.sent_messages(CHAT)[0]
    assert params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Min plan 📋", "callback_data": "plan"}],
            [{"text": "Tal med en voksen", "callback_data": "human"}],
            [{"text": "العربية", "callback_data": "lang:ar"}],
        ]
    }
    assert telegram_api.sent_texts(CHAT) == ["Hvad vil du?", "Og nu?"]


FAILURES = [
    pytest.param(
        too_many_requests(7),
        SendError("rate limited by Telegram", retry_after=7.0, code="429"),
        id="429-retry-after",
    ),
    pytest.param(
        BLOCKED,
        SendError("bot was blocked or removed", permanent=True, unreachable=True, code="403"),
        id="403-blocked",
    ),
    pytest.param(
        Failure(403, "Forbidden: user is deactivated"),
        SendError("bot was blocked or removed", permanent=True, unreachable=True, code="403"),
        id="403-deactivated",
    ),
    pytest.param(
        CHAT_NOT_FOUND,
        SendError("chat not found", permanent=True, unreachable=True, code="400"),
        id="400-chat-not-found",
    ),
    pytest.param(
        Failure(400, "Bad Request: message is too long"),
        SendError("rejected by Telegram as a bad request", permanent=True, code="400"),
        id="400-too-long",
    ),
    pytest.param(SERVER_ERROR, SendError("Telegram server error", code="5xx"), id="500"),
    pytest.param(BAD_GATEWAY, SendError("Telegram server error", code="5xx"), id="502"),
    # A wrong token is ours to fix; the message must wait, not be dropped.
    pytest.param(UNAUTHORIZED, SendError("bot token rejected", code="401"), id="401-token"),
]


@pytest.mark.parametrize(("failure", "expected"), FAILURES)
async def test_provider_errors_map_to_send_error(
    telegram_api: FakeTelegram,
    telegram_channel: TelegramChannel,
    failure: Failure,
    expected: SendError,
) -> None:
    telegram_api.fail_next(failure)
    with pytest.raises(SendError) as caught:
        await telegram_channel.send(outbound())
    error = caught.value
    assert (error.reason, error.permanent, error.unreachable, error.retry_after, error.code) == (
        expected.reason,
        expected.permanent,
        expected.unreachable,
        expected.retry_after,
        expected.code,
    )
    # The chat id is an identity: it stays out of stored error details.
    assert str(CHAT) not in repr(error.details)
    # The failure was scripted once: the next send goes through.
    assert (await telegram_channel.send(outbound("igen"))).status == "sent"
    assert telegram_api.sent_texts(CHAT) == ["igen"]


async def test_timeout_is_transient(telegram_api: FakeTelegram) -> None:
    channel = TelegramChannel(TEST_TOKEN, api_base=telegram_api.base_url, timeout=0.2)
    telegram_api.fail_next(stall(1.0))
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(outbound())
    finally:
        await channel.close()
    assert caught.value.code == "network"
    assert not caught.value.permanent


async def test_unreachable_server_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    channel = TelegramChannel(TEST_TOKEN, api_base=f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(outbound())
    finally:
        await channel.close()
    assert caught.value.code == "network"
    assert not caught.value.permanent
    assert not caught.value.unreachable


async def test_blocked_chat_stays_blocked(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    telegram_api.block_chat(CHAT)
    for _ in range(2):
        with pytest.raises(SendError) as caught:
            await telegram_channel.send(outbound())
        assert caught.value.unreachable
    assert telegram_api.sent_texts() == []


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (outbound(choices=(Choice("k" * 65, "For lang"),)), "callback_data"),
        # 33 characters but 66 bytes: Telegram's limit counts bytes.
        (outbound(choices=(Choice("æ" * 33, "Bytes"),)), "callback_data"),
        (Outbound(message_id=1, address="+4520123456", text="Hej"), "address"),
    ],
)
async def test_invalid_messages_fail_permanently_before_any_call(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel, message: Outbound, code: str
) -> None:
    with pytest.raises(SendError) as caught:
        await telegram_channel.send(message)
    assert caught.value.permanent
    assert caught.value.code == code
    assert telegram_api.calls == []


async def test_longest_allowed_callback_key_is_accepted(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    key = "æ" * 32  # exactly 64 bytes
    await telegram_channel.send(outbound(choices=(Choice(key, "Ok"),)))
    [params] = telegram_api.sent_messages(CHAT)
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == key


async def test_answer_callback_reaches_telegram(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    await telegram_channel.answer_callback("2200720184617593312")
    [call] = telegram_api.calls_to("answerCallbackQuery")
    assert call.params == {"callback_query_id": "2200720184617593312"}
    assert call.token == TEST_TOKEN


def test_fake_runs_in_a_thread_for_synchronous_callers() -> None:
    import urllib.request

    with FakeTelegram.start_in_thread() as fake:
        url = f"{fake.base_url}/bot{TEST_TOKEN}/sendMessage"
        body = b"chat_id=42&text=hej"
        with urllib.request.urlopen(url, data=body, timeout=5) as response:  # noqa: S310
            assert response.status == 200
        assert fake.sent_texts(42) == ["hej"]


async def test_two_chats_first_messages_get_different_provider_ids(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    """The Bot API numbers messages per chat, so every chat's first message is number 1;
    the stored provider id (unique per channel) must still tell them apart."""
    other = CHAT + 1
    first = await telegram_channel.send(outbound("Hej Sofie"))
    second = await telegram_channel.send(
        Outbound(message_id=2, address=str(other), text="Hej Ahmed")
    )
    [to_sofie] = telegram_api.calls_to("sendMessage")[:1]
    assert (
        to_sofie.result["message_id"]
        == telegram_api.calls_to("sendMessage")[1].result["message_id"]
        == 1
    )
    assert (first.provider_id, second.provider_id) == (f"{CHAT}:1", f"{other}:1")
