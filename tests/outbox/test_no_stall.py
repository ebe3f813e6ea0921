"""One hanging provider call holds up nobody else; a 429 is retried when it says.

Against the fake Telegram Bot API on loopback, with a real TelegramChannel and the
dispatcher running as in `indgang serve`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.settings import OutboxSettings, Settings
from tests.fakes.telegram_api import FakeTelegram, stall, too_many_requests
from tests.outbox.helpers import chats, queue, until

if TYPE_CHECKING:
    from channels.telegram.channel import TelegramChannel

HUNG = 1001
OTHERS = [str(chat) for chat in range(2001, 2021)]
# Fewer rows held at once than there are messages: a dispatcher that finished a batch
# before claiming more would hold every later message behind the hung call. Pacing is out
# of the way (no rate, no interval per chat): its own tests cover it, and its database
# round trips would measure this machine's load rather than head-of-line blocking.
SETTINGS = Settings(
    _env_file=None,
    outbox=OutboxSettings(dispatcher_batch=10, send_rates={"telegram": math.inf}),
)


def unpaced(channel: TelegramChannel) -> TelegramChannel:
    """The channel without Telegram's one-message-a-second-per-chat interval."""
    channel.capabilities = replace(channel.capabilities, per_recipient_interval=0)
    return channel


@asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[float]:
    """The dispatcher running in the background; yields when it started (monotonic)."""
    started = time.monotonic()
    worker = asyncio.create_task(dispatcher.run(asyncio.Event()))
    try:
        yield started
    finally:
        worker.cancel()  # a hanging call would keep a graceful stop waiting
        with suppress(asyncio.CancelledError):
            await worker


async def test_a_hanging_call_delays_no_other_recipient(
    db: Database, telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    identities = await chats(db, "telegram", [str(HUNG), *OTHERS])
    # The hung chat's two messages are queued first, so they are claimed first.
    await queue(db, identities[:1], "Første")
    await queue(db, identities[:1], "Anden")
    await queue(db, identities[1:], "Hej")
    telegram_api.fail_next(stall(30), chat_id=HUNG)
    dispatcher = Dispatcher(db, {"telegram": unpaced(telegram_channel)}, SETTINGS)

    async with running(dispatcher) as started:
        await until(lambda: len(telegram_api.sent_messages()) >= len(OTHERS))
        assert telegram_api.in_flight == 1, "the hung call is still waiting"
        calls = telegram_api.calls_to("sendMessage")

    assert sorted(str(c.params["chat_id"]) for c in calls) == OTHERS, (
        "every other chat got its message, once; the hung chat's second message waited"
    )
    latest = max(call.received_at for call in calls) - started
    assert latest < 2.0, f"the last other message arrived {latest:.2f} s after the start"


async def test_retry_after_is_honoured_at_its_time(
    db: Database, telegram_api: FakeTelegram, telegram_channel: TelegramChannel
) -> None:
    """A 429 with Retry-After 2 s is retried 2 s later, while another call hangs."""
    limited = "3001"
    identities = await chats(db, "telegram", [str(HUNG), limited])
    await queue(db, identities, "Hej")
    telegram_api.fail_next(stall(30), chat_id=HUNG)
    telegram_api.fail_next(too_many_requests(retry_after=2), chat_id=int(limited))
    dispatcher = Dispatcher(db, {"telegram": telegram_channel}, SETTINGS)

    async with running(dispatcher):
        await until(lambda: bool(telegram_api.sent_messages(limited)))
        refused, accepted = [
            c for c in telegram_api.calls_to("sendMessage") if c.params["chat_id"] == int(limited)
        ]

    assert refused.status == 429
    waited = accepted.received_at - refused.received_at
    assert 2.0 <= waited < 3.5, f"retried {waited:.2f} s after the 429"
