"""Lanes: work on many keys side by side, one item at a time per key, in order.

The dispatcher puts each claimed row in the lane of its recipient: a recipient's messages
leave one after another (never two in flight to one address), while every other
recipient's go on beside them, so one slow provider call holds up only its own lane.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Lanes(Generic[T]):
    """Items queued by key; each key's items run one at a time, lowest `order` first."""

    def __init__(
        self,
        work: Callable[[T], Awaitable[None]],
        *,
        key: Callable[[T], Hashable],
        order: Callable[[T], int],
    ) -> None:
        self._work = work
        self._key = key
        self._order = order
        self._queues: dict[Hashable, list[tuple[int, int, T, asyncio.Future[None]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._count = 0
        self._added = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._finished = asyncio.Event()
        self._stopping = False

    def __len__(self) -> int:
        """Items queued or being worked on."""
        return self._count

    @property
    def finished(self) -> asyncio.Event:
        """Set whenever an item is done; the caller clears it."""
        return self._finished

    def add(self, item: T) -> asyncio.Future[None]:
        """Queue `item` in its key's lane; the future is done when the item is done (or
        dropped by `stop`)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._added += 1
        entry = (self._order(item), self._added, item, done)
        self._count += 1
        self._idle.clear()
        key = self._key(item)
        queue = self._queues.get(key)
        if queue is not None:
            bisect.insort(queue, entry, key=lambda e: (e[0], e[1]))
            return done
        self._queues[key] = [entry]
        task = asyncio.create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return done

    async def _run(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue and not self._stopping:
                _, _, item, done = queue.pop(0)
                try:
                    await self._work(item)
                except Exception:
                    # One broken item must not stop its lane.
                    log.exception("lanes.work_crashed")
                finally:
                    self._done(done)
        finally:
            # No await between the last look at the queue and this: an item added now
            # starts a new lane.
            del self._queues[key]
            for *_, dropped in queue:
                self._done(dropped)

    def _done(self, future: asyncio.Future[None]) -> None:
        if not future.done():
            future.set_result(None)
        self._count -= 1
        self._finished.set()
        if self._count == 0:
            self._idle.set()

    async def idle(self) -> None:
        """Wait until no item is queued or worked on."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Let each lane finish the item it works on, drop the rest, and wait for that."""
        self._stopping = True
        try:
            await self.idle()
        finally:
            self._stopping = False

    def cancel(self) -> None:
        """Cancel every lane at once (the process is going down)."""
        for task in list(self._tasks):
            task.cancel()


__all__ = ["Lanes"]
