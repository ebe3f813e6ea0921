"""A crash between 'decided' and 'sent' loses nothing and sends nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import OutboxItem
from bot.outbox.service import enqueue
from bot.people.models import ChannelIdentity
from channels.base import Outbound, SendError, SendResult
from tests.support import CollectingChannel, Harness
from tests.world import SOFIE, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


class HangingChannel(CollectingChannel):
    """Blocks inside send() until cancelled, like a process killed mid-send."""

    def __init__(self) -> None:
        super().__init__(name="web")
        self.entered = asyncio.Event()

    async def send(self, outbound: Outbound) -> SendResult:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_killed_before_send_is_sent_once_after_restart(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.send("hej")  # the engine commits the reply as an outbox row

    hanging = HangingChannel()
    first = Dispatcher(db, {"web": hanging}, chat.settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(first.run(stop))
    await asyncio.wait_for(hanging.entered.wait(), timeout=10)
    worker.cancel()  # killed after claiming, before the provider accepted anything
    with pytest.raises(asyncio.CancelledError):
        await worker

    restarted = Dispatcher(db, {"web": chat.channel}, chat.settings)
    assert await restarted.dispatch_once() == 0, "the dead worker's lease still holds"
    clock.advance(timedelta(seconds=chat.settings.outbox.lease_seconds + 1))
    assert await restarted.dispatch_once() == 1
    assert await restarted.dispatch_once() == 0
    assert len(chat.channel.sent) == 1
    assert "ungeindsatsen" in chat.channel.sent[0].text
    async with db.session() as session:
        item = (await session.exec(select(OutboxItem))).one()
    assert item.status == "sent" and item.attempts == 1


async def test_two_dispatchers_never_send_the_same_row(db: Database) -> None:
    await youth_service(db)
    chats = [Harness(db, address=f"visitor-{n}") for n in range(12)]
    for chat in chats:
        await chat.send("hej")
    shared = CollectingChannel()
    workers = [Dispatcher(db, {"web": shared}, chats[0].settings) for _ in range(3)]
    handled = await asyncio.gather(*(w.dispatch_once() for w in workers))
    while any([await w.dispatch_once() for w in workers]):
        pass
    assert sum(handled) <= 12
    assert sorted(o.message_id for o in shared.sent) == sorted({o.message_id for o in shared.sent})
    assert len(shared.sent) == 12


async def test_transient_failures_back_off_then_permanent_failure_stops(db: Database) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    chat.channel.failures = [SendError("timeout"), SendError("timeout")]
    await chat.send("hej")
    assert await chat.dispatcher.dispatch_once() == 1
    async with db.session() as session:
        item = (await session.exec(select(OutboxItem))).one()
    assert item.status == "pending" and item.attempts == 1
    assert item.due_at == clock.now() + timedelta(seconds=2)  # base 2, first retry
    assert await chat.dispatcher.dispatch_once() == 0  # not due yet
    clock.advance(timedelta(seconds=2))
    assert await chat.dispatcher.dispatch_once() == 1
    async with db.session() as session:
        item = (await session.exec(select(OutboxItem))).one()
    assert item.due_at == clock.now() + timedelta(seconds=4)  # exponential
    clock.advance(timedelta(seconds=4))
    await chat.dispatcher.dispatch_once()
    assert len(chat.channel.sent) == 1

    chat.channel.failures = [SendError("blocked", permanent=True, unreachable=True, code="403")]
    await chat.send("menu")
    await chat.dispatcher.dispatch_once()
    async with db.session() as session:
        items = (await session.exec(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert items[-1].status == "failed" and items[-1].last_error == "blocked"
    # A message the bot starts (a reminder, a staff reply) is not sent to it any more.
    async with db.session() as session:
        identity = (
            await session.exec(select(ChannelIdentity).where(ChannelIdentity.address == SOFIE))
        ).one()
        assert identity.unreachable_at is not None
        await enqueue(session, identity=identity, text="Husk dit møde.", now=clock.now())
    await chat.dispatcher.dispatch_once()
    assert len(chat.channel.sent) == 1, "nothing more goes to an unreachable identity"
    async with db.session() as session:
        items = (await session.exec(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert items[-1].status == "failed" and items[-1].last_error == "recipient unreachable"


def test_backoff_is_capped() -> None:
    from bot.settings import OutboxSettings, Settings

    dispatcher = Dispatcher.__new__(Dispatcher)
    dispatcher.settings = Settings(
        _env_file=None, outbox=OutboxSettings(send_backoff_base=2, send_backoff_cap=60)
    )
    assert [dispatcher.backoff(n) for n in (1, 2, 3, 6, 12)] == [2, 4, 8, 60, 60]
    assert dispatcher.backoff(1, retry_after=5) == 5
