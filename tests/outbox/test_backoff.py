"""Back-off with jitter; a provider's Retry-After is kept to the second."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import OutboxItem
from bot.settings import OutboxSettings, Settings
from channels.base import SendError
from tests.outbox.helpers import chats, queue
from tests.support import CollectingChannel

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.mark.parametrize(
    ("draw", "error", "after"),
    [
        (0.0, SendError("timeout"), 2.0),  # base 2, first retry: the full delay
        (1.0, SendError("timeout"), 1.0),  # jitter 0.5 takes off up to half of it
        (0.5, SendError("timeout"), 1.5),
        (1.0, SendError("flood", retry_after=5), 5.0),  # as the provider said
    ],
)
async def test_a_retry_is_due_after_the_jittered_back_off(
    db: Database, frozen_clock: datetime, draw: float, error: SendError, after: float
) -> None:
    [identity] = await chats(db, "web", ["visitor-1"])
    await queue(db, [identity], "Hej")
    channel = CollectingChannel(failures=[error])
    settings = Settings(
        _env_file=None,
        database_url=db.url,
        outbox=OutboxSettings(send_backoff_base=2, send_backoff_jitter=0.5),
    )
    dispatcher = Dispatcher(db, {"web": channel}, settings, jitter=lambda: draw)
    assert await dispatcher.dispatch_once() == 1
    async with db.session() as session:
        item = (await session.exec(select(OutboxItem))).one()
    assert item.status == "pending" and item.attempts == 1
    assert item.due_at == frozen_clock + timedelta(seconds=after)
