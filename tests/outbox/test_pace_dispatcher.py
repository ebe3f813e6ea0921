"""The dispatcher and its pace: a send whose wait ate the lease is not sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import clock
from bot.database import Database
from bot.outbox.limits import PaceTooLate
from bot.outbox.models import OutboxItem
from tests.support import Harness
from tests.world import SOFIE, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")


class SlowPace:
    """A pace whose every wait takes `seconds` of the (stopped) clock, or gives up."""

    def __init__(self, seconds: float, give_up: bool = False) -> None:
        self.seconds = seconds
        self.give_up = give_up

    async def wait(self, key: str, per_second: float, **_: object) -> None:
        clock.advance(timedelta(seconds=self.seconds))
        if self.give_up:
            raise PaceTooLate(key)


async def _pending(db: Database) -> OutboxItem:
    async with db.session() as session:
        return (await session.exec(select(OutboxItem))).one()


@pytest.mark.parametrize("give_up", [False, True], ids=["lease-spent", "pace-too-late"])
async def test_a_send_that_waited_out_its_lease_goes_later_and_once(
    db: Database, give_up: bool
) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.send("hej")
    lease = chat.settings.outbox.lease_seconds
    paced = chat.dispatcher.pace
    chat.dispatcher.pace = SlowPace(lease * 0.8, give_up)  # type: ignore[assignment]
    assert await chat.dispatcher.dispatch_once() == 1
    assert chat.channel.sent == []
    item = await _pending(db)
    assert item.status == "pending" and item.attempts == 0 and item.lease_owner is not None

    chat.dispatcher.pace = paced
    assert await chat.dispatcher.dispatch_once() == 0  # still leased
    clock.advance(timedelta(seconds=lease))
    assert await chat.dispatcher.dispatch_once() == 1
    assert len(chat.channel.sent) == 1
    assert (await _pending(db)).status == "sent"
