"""Serving a fake provider from a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def served_in_thread(start: Callable[[], AbstractAsyncContextManager[T]], name: str) -> Iterator[T]:
    """Run `start()` in a thread of its own until the block ends (for synchronous tests, or
    for a fake that must outlive a server process the test kills)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stopping = asyncio.Event()
    holder: list[T] = []

    async def serve() -> None:
        async with start() as fake:
            holder.append(fake)
            started.set()
            await stopping.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(timeout=10):
        raise RuntimeError(f"fake {name} did not start")
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        loop.close()
