"""Urgent first: a crisis reply does not wait behind a backlog of reminders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.service import Outgoing, enqueue_many
from bot.people.models import ChannelIdentity
from bot.settings import OutboxSettings, Settings
from channels.base import Outbound, SendResult
from tests.outbox.helpers import chats, queue, until
from tests.support import CollectingChannel

pytestmark = pytest.mark.usefixtures("frozen_clock")

REMINDERS = 1000
CONCURRENCY = 4


@dataclass
class SlowChannel(CollectingChannel):
    """Takes a few milliseconds to accept each message, like a provider."""

    async def send(self, outbound: Outbound) -> SendResult:
        await asyncio.sleep(0.005)
        return await super().send(outbound)


async def _backlog(db: Database, now: datetime) -> tuple[list[ChannelIdentity], ChannelIdentity]:
    """1,000 reminders to 50 chats, due an hour ago; and the chat in crisis."""
    identities = await chats(db, "web", [f"visitor-{n}" for n in range(51)])
    crowd, in_crisis = identities[:50], identities[50]
    reminders = [
        Outgoing(
            identity=crowd[n % len(crowd)], text="Husk dit møde", due_at=now - timedelta(hours=1)
        )
        for n in range(REMINDERS)
    ]
    async with db.session() as session:
        await enqueue_many(session, reminders, now=now - timedelta(hours=1))
    return crowd, in_crisis


def _dispatcher(db: Database, channel: CollectingChannel) -> Dispatcher:
    settings = Settings(
        _env_file=None, database_url=db.url, outbox=OutboxSettings(send_concurrency=CONCURRENCY)
    )
    return Dispatcher(db, {"web": channel}, settings)


async def test_a_crisis_reply_queued_behind_1000_reminders_is_sent_first(
    db: Database, frozen_clock: datetime
) -> None:
    _, in_crisis = await _backlog(db, frozen_clock)
    [crisis] = await queue(db, [in_crisis], "Ring til Livslinien på 70 201 201", urgent=True)
    channel = CollectingChannel()
    dispatcher = _dispatcher(db, channel)

    assert await dispatcher.dispatch_once() > 0
    # Claimed first and started in the first wave of concurrent sends; within that wave the
    # order is each send's own database round trip (marking it 'sending'), not a promise.
    assert crisis in [o.message_id for o in channel.sent[:CONCURRENCY]]
    while await dispatcher.dispatch_once():
        pass
    assert len(channel.sent) == REMINDERS + 1


async def test_a_crisis_reply_overtakes_reminders_already_being_sent(
    db: Database, frozen_clock: datetime
) -> None:
    """The dispatcher is busy with the backlog when the crisis reply is queued: it goes
    with the next free provider call, not after the rows already claimed."""
    _, in_crisis = await _backlog(db, frozen_clock)
    channel = SlowChannel()
    dispatcher = _dispatcher(db, channel)
    stop = asyncio.Event()
    worker = asyncio.create_task(dispatcher.run(stop))
    try:
        await until(lambda: len(channel.sent) >= 100)
        [crisis] = await queue(db, [in_crisis], "Ring til Livslinien på 70 201 201", urgent=True)
        queued_after = len(channel.sent)
        dispatcher.wake()  # as the engine's commit does
        await until(lambda: crisis in {o.message_id for o in channel.sent})
    finally:
        stop.set()
        await worker
    position = [o.message_id for o in channel.sent].index(crisis)
    # The calls in flight when it was claimed, and those that finished while its claim
    # waited its turn for the database; not the few dozen reminders already claimed.
    assert position - queued_after <= 5 * CONCURRENCY, (
        f"{position - queued_after} reminders went before the crisis reply"
    )
    assert len(channel.sent) < REMINDERS, "the backlog was still being sent"
