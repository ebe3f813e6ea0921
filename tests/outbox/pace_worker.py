"""One dispatcher process for the pacing tests: sends every due row, noting when each went.

    python -m tests.outbox.pace_worker DATABASE_URL PER_SECOND BATCH OUT_FILE

Prints ``ready`` once imported and connected, waits for a line on stdin (so that several
processes start sending together), dispatches until no row is pending, then writes a JSON
list of ``[monotonic time, message id]``, one per send, to OUT_FILE. On Linux (and macOS)
the monotonic clock is the machine's, so times from several processes compare.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import func, select

import bot.models  # noqa: F401  (every table, for the mapper)
from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import PENDING, OutboxItem
from bot.settings import OutboxSettings, Settings
from channels.base import Capabilities, Choice, Outbound, SendResult


@dataclass
class TimedChannel:
    """A web-like channel that notes the moment each send reaches it: the receiving end."""

    name: str = "web"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(buttons=True, max_length=4000, per_second=10_000)
    )
    sent: list[tuple[float, int]] = field(default_factory=list)

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        return text

    async def send(self, outbound: Outbound) -> SendResult:
        self.sent.append((time.monotonic(), outbound.message_id))
        return SendResult(provider_id=f"web-{outbound.message_id}", status="delivered")

    async def close(self) -> None:
        return None


def paced_settings(url: str, per_second: float, batch: int) -> Settings:
    """Settings that limit the web channel to `per_second` (INDGANG_SEND_RATES)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        outbox=OutboxSettings(send_rates={"web": per_second}, dispatcher_batch=batch),
    )


async def pending(db: Database) -> int:
    """Rows not sent yet, whoever holds them."""
    async with db.session() as session:
        count = await session.exec(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == PENDING)
        )
        return int(count.one())


async def dispatch_all(db: Database, dispatcher: Dispatcher) -> None:
    """Dispatch until no row is pending (rows another dispatcher holds included)."""
    while True:
        if await dispatcher.dispatch_once():
            continue
        if not await pending(db):
            return
        await asyncio.sleep(0.05)


async def _main(url: str, per_second: float, batch: int) -> list[tuple[float, int]]:
    db = Database(url)
    channel = TimedChannel()
    dispatcher = Dispatcher(db, {"web": channel}, paced_settings(url, per_second, batch))
    try:
        await pending(db)  # connected before 'ready'
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        await dispatch_all(db, dispatcher)
    finally:
        await db.dispose()
    return channel.sent


if __name__ == "__main__":
    url, per_second, batch, out = sys.argv[1:5]
    sent = asyncio.run(_main(url, float(per_second), int(batch)))
    Path(out).write_text(json.dumps(sent), encoding="utf-8")
