"""Leases are renewed while rows wait in a dispatcher: nobody else sends them meanwhile."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.settings import OutboxSettings, Settings
from channels.base import Outbound, SendResult
from tests.outbox.helpers import chats, queue
from tests.support import CollectingChannel

LEASE = 4


@dataclass
class SlowChannel(CollectingChannel):
    """Takes a second to accept each message."""

    async def send(self, outbound: Outbound) -> SendResult:
        await asyncio.sleep(1.0)
        return await super().send(outbound)


async def test_rows_waiting_longer_than_the_lease_stay_ours(db: Database) -> None:
    # Five messages to one chat take about 5 s, one after another: the last waits in its
    # lane as long as the 4 s lease, while a second dispatcher keeps trying to claim.
    [identity] = await chats(db, "web", ["visitor-1"])
    sent_in_order = [(await queue(db, [identity], f"Besked {n}"))[0] for n in range(5)]
    settings = Settings(
        _env_file=None,
        database_url=db.url,
        outbox=OutboxSettings(lease_seconds=LEASE),
    )
    holder, other = SlowChannel(), CollectingChannel()
    first = Dispatcher(db, {"web": holder}, settings)
    second = Dispatcher(db, {"web": other}, settings)

    holding = asyncio.create_task(first.dispatch_once())
    await asyncio.sleep(0.3)  # the first has claimed all five
    while not holding.done():
        await second.dispatch_once()
        await asyncio.sleep(0.05)

    assert await holding == 5
    assert other.sent == [], "the second dispatcher sent a row the first still held"
    assert [o.message_id for o in holder.sent] == sent_in_order
