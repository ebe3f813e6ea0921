"""set_webhook and long polling against the fake Bot API server, alone and as `telegram poll`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.runtime import running
from bot.settings import Settings
from channels.base import Inbound
from channels.telegram import plugin as telegram
from channels.telegram.channel import TelegramChannel
from channels.telegram.commands import poll_runtime
from channels.telegram.polling import poll, set_webhook
from channels.telegram.settings import TelegramSettings
from tests.fakes.telegram_api import (
    SERVER_ERROR,
    TEST_TOKEN,
    FakeTelegram,
    load_update,
    text_update,
)


class Recorder:
    """A receive() that can fail a number of times first, and signals each success."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[Inbound] = []
        self.failures = failures
        self.changed = asyncio.Event()

    async def __call__(self, inbound: Inbound) -> None:
        self.received.append(inbound)
        self.changed.set()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is down")


async def eventually(condition: Callable[[], object]) -> None:
    """Wait until the fake server's state satisfies `condition` (it changes in its handlers)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the state lives in another task's handler
            await asyncio.sleep(0.01)


async def wait_for(recorder: Recorder, count: int) -> None:
    async with asyncio.timeout(5):
        while len(recorder.received) < count:
            recorder.changed.clear()
            await recorder.changed.wait()


async def test_set_webhook_registers_url_secret_and_update_kinds(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    await set_webhook(telegram_channel, "https://indgang.example.dk/webhooks/telegram", "s3cr3t")
    assert telegram_api.webhook is not None
    assert telegram_api.webhook["url"] == "https://indgang.example.dk/webhooks/telegram"
    assert telegram_api.webhook["secret_token"] == "s3cr3t"
    assert telegram_api.webhook["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
    ]


async def test_poll_deletes_webhook_delivers_updates_and_confirms_them(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    await set_webhook(telegram_channel, "https://indgang.example.dk/webhooks/telegram", "s3cr3t")
    for name in ("text", "edited_message", "callback_query"):
        telegram_api.queue_update(load_update(name))
    receive = Recorder()
    stop = asyncio.Event()
    task = asyncio.create_task(poll(telegram_channel, receive, stop, poll_seconds=1))

    await wait_for(receive, 2)
    # The next poll's offset confirms everything, the ignored edit included.
    await eventually(lambda: telegram_api.pending_updates == [])
    stop.set()
    async with asyncio.timeout(2):
        await task

    assert telegram_api.webhook is None
    assert [(i.text, i.choice) for i in receive.received] == [
        ("Hej, jeg vil gerne tale med min kontaktperson", None),
        ("", "menu:plan"),
    ]
    [answer] = telegram_api.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2200720184617593312"
    assert telegram_api.calls_to("getUpdates")[0].params.get("offset") is None


async def test_poll_retries_an_update_the_engine_failed_to_store(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    telegram_api.queue_update(load_update("text"))
    telegram_api.fail_next(SERVER_ERROR, method="getUpdates")
    receive = Recorder(failures=1)
    stop = asyncio.Event()
    task = asyncio.create_task(
        poll(telegram_channel, receive, stop, poll_seconds=1, max_backoff=0.05)
    )

    await wait_for(receive, 2)
    stop.set()
    async with asyncio.timeout(2):
        await task

    first, second = receive.received
    assert first.provider_id == second.provider_id == "7000000001:873512001"
    statuses = [call.status for call in telegram_api.calls_to("getUpdates")]
    assert statuses[0] == 500


async def test_poll_stops_promptly_while_waiting(
    telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    telegram_api.max_poll_wait = 30
    stop = asyncio.Event()
    task = asyncio.create_task(poll(telegram_channel, Recorder(), stop, poll_seconds=30))
    await eventually(lambda: telegram_api.calls_to("deleteWebhook"))
    await asyncio.sleep(0.1)
    stop.set()
    async with asyncio.timeout(1):
        await task


async def test_poll_command_polls_with_the_services_own_channel_and_dispatcher(
    telegram_api: FakeTelegram, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`indgang telegram poll`: one Telegram channel, built and dispatched as the app does."""
    built: list[TelegramChannel] = []
    construct = TelegramChannel.__init__

    def counted(self: TelegramChannel, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        construct(self, *args, **kwargs)

    monkeypatch.setattr(TelegramChannel, "__init__", counted)
    telegram_api.queue_update(text_update("hej"))
    settings = Settings(_env_file=None, database_url=database_url)
    channels = {
        "telegram": TelegramSettings(
            _env_file=None,
            token=TEST_TOKEN,
            webhook_secret="s3cr3t",
            api_base=telegram_api.base_url,
        )
    }
    stop = asyncio.Event()
    async with running(settings, channels) as service:
        task = asyncio.create_task(poll_runtime(service, telegram.plugin, stop))
        # The reply goes out through the runtime's background dispatcher.
        await eventually(lambda: telegram_api.sent_texts())
        stop.set()
        async with asyncio.timeout(2):
            await task

    assert built == [service.channels["telegram"]]
    assert "ungeindsatsen i Demo Kommune" in telegram_api.sent_texts()[0]
