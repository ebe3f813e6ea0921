"""Pacing sends to what each provider allows: overall and per recipient."""

from __future__ import annotations

import asyncio
import time


class Pacer:
    """Waits so that sends stay under `per_second` overall and `interval` per recipient."""

    def __init__(self, per_second: float, interval: float) -> None:
        self.gap = 1.0 / per_second if per_second > 0 else 0.0
        self.interval = interval
        self._next_any = 0.0
        self._next_for: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, recipient: str) -> None:
        """Sleep until a message to `recipient` may go."""
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_any, self._next_for.get(recipient, 0.0))
            self._next_any = slot + self.gap
            self._next_for[recipient] = slot + self.interval
            if len(self._next_for) > 10_000:
                self._next_for = {k: v for k, v in self._next_for.items() if v > now}
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def hold(self, recipient: str, seconds: float) -> None:
        """After a provider's 'retry after', keep the recipient back that long."""
        until = time.monotonic() + seconds
        self._next_for[recipient] = max(self._next_for.get(recipient, 0.0), until)
