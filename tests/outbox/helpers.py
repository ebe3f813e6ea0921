"""Helpers for dispatcher tests: many chats of one young person, and waiting for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from sqlmodel import select

from bot.clock import clock
from bot.database import Database
from bot.outbox import service
from bot.people.models import ChannelIdentity, YoungPerson
from tests.world import channel_identity, one_person


async def chats(db: Database, channel: str, addresses: Sequence[str]) -> list[ChannelIdentity]:
    """One young person writing from each of `addresses`: every one a lane of its own."""
    world = await one_person(db, channel=channel, address=addresses[0])
    async with db.session() as session:
        person = await session.get_one(YoungPerson, world.person_id)
        for address in addresses[1:]:
            await channel_identity(session, person, channel=channel, address=address)
    async with db.session() as session:
        found = (await session.exec(select(ChannelIdentity))).all()
    by_address = {identity.address: identity for identity in found}
    return [by_address[address] for address in addresses]


async def queue(
    db: Database, identities: Sequence[ChannelIdentity], text: str, *, urgent: bool = False
) -> list[int]:
    """One message to each identity, now; their message ids."""
    async with db.session() as session:
        messages = [
            await service.enqueue(
                session, identity=identity, text=text, now=clock.now(), urgent=urgent
            )
            for identity in identities
        ]
    return [m.id for m in messages if m.id is not None]


async def until(condition: Callable[[], bool], *, within: float = 10.0) -> None:
    """Wait until `condition()` holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
