"""The reference every sending benchmark is measured against: plain bulk inserts of message
and outbox rows, the least any sweep that writes them can cost."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import insert

from bot.conversation.models import Message
from bot.database import Database
from bot.outbox.models import OutboxItem


async def plain_insert(
    db: Database, total: int, *, body: str, now: datetime, outbox_status: str = "pending"
) -> float:
    """Seconds for a plain bulk insert of `total` message + outbox rows, 500 at a time."""
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        for start in range(0, total, 500):
            count = min(500, total - start)
            result = await conn.execute(
                insert(Message).returning(Message.id),
                [
                    {
                        "young_person_id": 1,
                        "identity_id": 1,
                        "channel": "sms",
                        "direction": "out",
                        "author": "bot",
                        "body": body,
                        "choices": [],
                        "status": "queued",
                        "created_at": now,
                    }
                    for _ in range(count)
                ],
            )
            ids = list(result.scalars())
            await conn.execute(
                insert(OutboxItem),
                [
                    {"message_id": i, "status": outbox_status, "due_at": now, "created_at": now}
                    for i in ids
                ],
            )
    return time.perf_counter() - started
