"""The rows one dispatcher holds: claimed urgent first, sent in per-recipient lanes, leased.

`Held.claim` takes as many due rows as there is room for (INDGANG_DISPATCHER_BATCH, of which
a quarter is kept for urgent and normal rows, so a backlog of reminders never holds up an
answer) and puts each in its recipient's lane (`bot/outbox/lanes.py`). While any row is
held, its lease is renewed every quarter of INDGANG_LEASE_SECONDS; a row whose lease was
lost (taken over after a stall) is dropped, and `leases.start_sending` refuses it anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress

import structlog

from bot.clock import utcnow
from bot.database import Database
from bot.outbox import leases
from bot.outbox.lanes import Lanes
from bot.outbox.models import BULK, NORMAL
from bot.settings import OutboxSettings

log = structlog.get_logger(__name__)


def _recipient(claimed: leases.Claimed) -> tuple[str, str]:
    """The lane of a row: its channel and address (a row without one goes alone)."""
    if claimed.identity is None:
        return ("", f"#{claimed.item.id}")
    return (claimed.message.channel, claimed.identity.address)


class Held:
    """Claims rows for `owner` and hands each to `work`, one at a time per recipient."""

    def __init__(
        self,
        db: Database,
        settings: OutboxSettings,
        *,
        owner: str,
        work: Callable[[leases.Claimed], Awaitable[None]],
    ) -> None:
        self.db = db
        self.settings = settings
        self.owner = owner
        self._work = work
        self._rows: dict[int, leases.Claimed] = {}
        self._lanes: Lanes[leases.Claimed] = Lanes(
            self._run, key=_recipient, order=lambda c: c.item.id or 0
        )
        self._renewer: asyncio.Task[None] | None = None
        # The last claim took all it asked for: more rows may be due than there was room for.
        self.saturated = False

    def __len__(self) -> int:
        return len(self._rows)

    async def claim(self, waited: list[asyncio.Future[None]] | None = None) -> list[int]:
        """Claim due rows, urgent first, as many as there is room for; put them in lanes.

        Each row's future (done when it has been handled) is added to `waited`, if given.
        """
        batch = self.settings.dispatcher_batch
        room = batch - len(self._rows)
        self.saturated = room <= 0
        if room <= 0:
            return []
        held_bulk = sum(1 for c in self._rows.values() if c.item.priority >= BULK)
        bulk_room = batch - max(1, batch // 4) - held_bulk
        if bulk_room >= room:
            ids = await self._claim(room, BULK)
        else:
            ids = await self._claim(room, NORMAL)
            if (bulk := min(room - len(ids), bulk_room)) > 0:
                ids += await self._claim(bulk, BULK)
        if not ids:
            return ids
        claimed = await leases.load(self.db, ids)
        claimed.sort(key=lambda c: (c.item.priority, c.item.due_at, c.item.id or 0))
        for row in claimed:
            assert row.item.id is not None
            self._rows[row.item.id] = row
            done = self._lanes.add(row)
            if waited is not None:
                waited.append(done)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew())
        return ids

    async def _claim(self, limit: int, lowest: int) -> list[int]:
        ids = await leases.claim(
            self.db,
            owner=self.owner,
            now=utcnow(),
            limit=limit,
            lease_seconds=self.settings.lease_seconds,
            lowest=lowest,
        )
        self.saturated |= len(ids) == limit
        return ids

    async def _run(self, claimed: leases.Claimed) -> None:
        try:
            if claimed.item.id in self._rows:
                await self._work(claimed)
        finally:
            self._rows.pop(claimed.item.id or 0, None)

    async def pause(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Wait for `wake`, `stop` or the interval; or, when more rows may be due than there
        was room for, until a quarter of the room has been freed (claims stay batches rather
        than one row per finished send)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.dispatcher_interval
        refilled = len(self._rows) - max(1, self.settings.dispatcher_batch // 4)
        finished = self._lanes.finished
        while (left := deadline - loop.time()) > 0:
            events = [wake, stop] + ([finished] if self.saturated else [])
            waiters = [asyncio.create_task(event.wait()) for event in events]
            try:
                await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if wake.is_set() or stop.is_set() or len(self._rows) <= refilled:
                return
            finished.clear()

    def clear_finished(self) -> None:
        """Forget rows done so far, for the next `pause`."""
        self._lanes.finished.clear()

    async def stop(self) -> None:
        """Finish the rows being sent; give the others back for anyone to claim."""
        await self._lanes.stop()
        await leases.release(self.db, list(self._rows), owner=self.owner)
        self.close()

    def cancel(self) -> None:
        """Drop everything at once (the process is going down): the leases run out."""
        self._lanes.cancel()
        self.close()

    def close(self) -> None:
        """Stop renewing leases."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None

    async def _renew(self) -> None:
        """Keep the leases of held rows fresh until none is held."""
        every = self.settings.lease_seconds / 4
        while self._rows:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._lanes.idle(), timeout=every)
            if not self._rows:
                return
            held = list(self._rows)
            try:
                kept = await leases.renew(
                    self.db,
                    held,
                    owner=self.owner,
                    now=utcnow(),
                    lease_seconds=self.settings.lease_seconds,
                )
            except Exception:
                log.exception("dispatcher.renew_failed")
                continue
            for lost in set(held) - kept:
                if self._rows.pop(lost, None) is not None:
                    log.warning("dispatcher.lease_lost", outbox_id=lost)


__all__ = ["Held"]
