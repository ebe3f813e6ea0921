"""Property: a cancel racing a send never lets both win.

Staff withdraw scheduled replies while a dispatcher sends them, with random delays on both
sides, on SQLite and PostgreSQL. For every message exactly one side wins: it reached the
channel, is recorded as sent and was not cancelled; or it was cancelled, never reached the
channel and is recorded as cancelled.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import pytest
from sqlmodel import col, select

from bot.clock import clock
from bot.conversation.models import Message
from bot.database import Database
from bot.outbox import service
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import CANCELLED, SENT, OutboxItem
from bot.people.models import ChannelIdentity, YoungPerson
from bot.settings import OutboxSettings, Settings
from channels.base import Outbound, SendResult
from tests.support import CollectingChannel
from tests.world import channel_identity, one_person

ROWS = 40


@dataclass
class SlowChannel(CollectingChannel):
    """Takes a random few milliseconds to accept each message."""

    rng: random.Random = field(default_factory=random.Random)

    async def send(self, outbound: Outbound) -> SendResult:
        await asyncio.sleep(self.rng.uniform(0, 0.004))
        return await super().send(outbound)


async def _identities(db: Database, count: int) -> list[ChannelIdentity]:
    """`count` chats of one young person: each its own lane, so sends run side by side."""
    world = await one_person(db)
    async with db.session() as session:
        person = await session.get_one(YoungPerson, world.person_id)
        for n in range(2, count + 1):
            await channel_identity(session, person, address=f"visitor-{n}")
    async with db.session() as session:
        return list((await session.exec(select(ChannelIdentity))).all())


async def _queue(db: Database, identities: list[ChannelIdentity], round_: int) -> list[int]:
    """A scheduled reply to each identity; their message ids."""
    async with db.session() as session:
        messages = [
            await service.enqueue(
                session, identity=identity, text=f"Svar {round_}", now=clock.now()
            )
            for identity in identities
        ]
    return [m.id for m in messages if m.id is not None]


async def _cancel_later(db: Database, message_id: int, delay: float) -> bool:
    await asyncio.sleep(delay)
    async with db.session() as session:
        return await service.cancel_pending(session, message_id=message_id, now=clock.now())


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_cancel_racing_send_never_both_win(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    identities = await _identities(db, ROWS)
    channel = SlowChannel(rng=rng)
    settings = Settings(
        _env_file=None,
        database_url=db.url,
        outbox=OutboxSettings(dispatcher_batch=ROWS, send_concurrency=8),
    )
    dispatcher = Dispatcher(db, {"web": channel}, settings)
    cancelled: set[int] = set()
    took = 0.1  # a guess at how long a round takes; then what the last round took
    for round_ in range(3):
        message_ids = await _queue(db, identities, round_)
        # Each cancel starts at a random moment of the dispatcher's round.
        cancels = [_cancel_later(db, m, rng.uniform(0, took)) for m in message_ids]
        started = time.monotonic()
        results = await asyncio.gather(dispatcher.dispatch_once(), *cancels)
        took = time.monotonic() - started
        cancelled |= {m for m, won in zip(message_ids, results[1:], strict=True) if won}
        while await dispatcher.dispatch_once():
            pass

    async with db.session() as session:
        rows = (
            await session.exec(
                select(OutboxItem.message_id, OutboxItem.status, Message.status).join(
                    Message, col(Message.id) == OutboxItem.message_id
                )
            )
        ).all()
    reached = [o.message_id for o in channel.sent]
    assert len(reached) == len(set(reached)), "a message reached the channel twice"
    assert len(rows) == 3 * ROWS
    for message_id, outbox_status, message_status in rows:
        if message_id in cancelled:
            assert message_id not in reached, f"seed {seed}: cancelled and sent: {message_id}"
            assert (outbox_status, message_status) == (CANCELLED, "cancelled")
        else:
            assert message_id in reached, f"seed {seed}: neither sent nor cancelled"
            assert (outbox_status, message_status) == (SENT, "delivered")
    # The race was real: both sides won some of the time.
    assert cancelled and len(cancelled) < 3 * ROWS
