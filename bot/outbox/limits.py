"""Pacing sends to what each provider allows, across every dispatcher process.

**Slots.** A rate of N sends per second for one key (a sender: `telegram:<bot id>`,
`sms:<messaging service or number>`; later a campaign) becomes a gap between send slots,
``gap = (1 + margin) / N``. A store hands out one key's slots in order, each `gap` after the
one before and never before now (`next_slot`), so any N + 1 slots span at least
``1 + margin`` seconds.

**On time.** The store answers with how long to wait, measured on its own clock (the
database's, for every process alike), so clocks that differ between machines do not matter.
The caller sleeps until the slot (counted from when the answer arrived, never early) and
then checks that it is at most half the margin late (`on_time`), counting from the last
moment it knows came before the store read its clock: when it asked, or, when the store
says so, later (the database store first waits for the key's row lock, then notes the
time, then reads its clock, so time spent queueing behind other processes does not count
as lateness). A caller that woke later (a busy event loop, a slow database) throws its slot
away and asks again. Every send is therefore handed to its channel in
``[slot, slot + margin / 2]``, and the other half of the margin is left for the way from
there to the provider: two sends N slots apart reach it at least one second apart, and **no
one-second window ever holds more than N sends**, however many processes share the key.
`margin` (INDGANG_SEND_PACE_MARGIN) is the rate given up for that certainty: 0.05 costs 5 %.
Half of it must exceed the store's round trip.

**Stores.** PostgreSQL: the `send_pace` table (`bot/outbox/pace_store.py`), shared by every
process. SQLite: `LocalStore`, in this process's memory, shared by the dispatchers of one
database file. SQLite is the single-process embedded default (`Database` already queues
writes through an in-process lock), so memory is exact there, and a database write per send
would queue every send behind the engine's transactions for nothing.

**Recipients.** A per-recipient interval (Telegram: one message a second per chat) is shared
the same way, under ``<key>:to:<digest of the address>`` (no chat id or number is stored).
While a recipient's next slot lies ahead, no sender slot is taken (a sender slot held while
waiting for a recipient would be a slot nobody uses); once it has passed, the sender slot is
taken and the recipient pushed to ``slot + interval + margin``, in one transaction. A
provider's 'retry after' holds the recipient back (`hold`).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

# A caller that is late this many times in a row gives up (the dispatcher retries the row).
MAX_LATE = 20


def gap_for(per_second: float, margin: float) -> float:
    """Seconds between two slots of a key allowed `per_second` sends; 0 means no limit.

    Rounded up to the microsecond, the resolution of PostgreSQL's timestamps, so that
    N + 1 slots never span less than ``1 + margin`` seconds.
    """
    if per_second <= 0 or math.isinf(per_second):
        return 0.0
    return math.ceil((1.0 + margin) / per_second * 1_000_000) / 1_000_000


def next_slot(next_at: float | None, now: float, gap: float) -> tuple[float, float]:
    """The slot a request made at `now` gets, and the key's next free slot after it."""
    slot = now if next_at is None else max(now, next_at)
    return slot, slot + gap


def on_time(asked_at: float, wait: float, now: float, margin: float) -> bool:
    """Whether a send at `now` is at most `margin` after its slot.

    The store measured `wait` at some moment between asking (`asked_at`) and the answer,
    so the slot was no earlier than ``asked_at + wait``: being within `margin` of that is
    being within `margin` of the slot, whatever the round trip took.
    """
    return now - (asked_at + wait) <= margin


def recipient_key(key: str, address: str) -> str:
    """The pacing key of one recipient of `key`'s sender, without the address in clear."""
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:24]
    return f"{key}:to:{digest}"


@dataclass(frozen=True)
class Reserved:
    """A store's answer: seconds from its 'now' until the slot.

    `taken` is False when the recipient was not free yet: wait `wait`, then ask again.
    `since`, when set, is a moment on the caller's clock no later than the store's reading
    of its own clock (and later than when the caller asked): lateness counts from there.
    """

    wait: float
    taken: bool = True
    since: float | None = None


class PaceStore(Protocol):
    """Where slots are kept: in memory (one process) or in the database (every process)."""

    async def reserve(
        self, key: str, gap: float, recipient: str | None, recipient_gap: float
    ) -> Reserved:
        """Take `key`'s next slot (if `recipient` is free), pushing the recipient on."""
        ...

    async def hold(self, key: str, seconds: float) -> None:
        """Give `key` no slot for `seconds` from now."""
        ...


class PaceTooLate(Exception):
    """Every slot was missed (a stalled process, or a database slower than half the margin)."""


class LocalStore:
    """Slots in this process's memory, on the monotonic clock (SQLite: one process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}

    async def reserve(
        self, key: str, gap: float, recipient: str | None, recipient_gap: float
    ) -> Reserved:
        """Take `key`'s next slot; no await inside, so it is atomic in the event loop."""
        now = self._clock()
        if recipient is not None and (free_at := self._next.get(recipient, now)) > now:
            return Reserved(free_at - now, taken=False)
        slot, self._next[key] = next_slot(self._next.get(key), now, gap)
        if recipient is not None:
            self._next[recipient] = slot + recipient_gap
        if len(self._next) > 10_000:  # a row whose time has passed means no row
            self._next = {k: v for k, v in self._next.items() if v > now}
        return Reserved(slot - now, since=now)

    async def hold(self, key: str, seconds: float) -> None:
        """Give `key` no slot for `seconds` from now."""
        until = self._clock() + seconds
        self._next[key] = max(self._next.get(key, until), until)


class Pace:
    """Waits until a send may go: `await pace.wait(key, per_second)`."""

    def __init__(
        self,
        store: PaceStore,
        margin: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if margin <= 0:
            raise ValueError("the pacing margin must be above zero")
        self.store = store
        self.margin = margin
        self._clock = clock
        self._sleep = sleep

    async def wait(
        self,
        key: str,
        per_second: float,
        *,
        recipient: str | None = None,
        interval: float = 0.0,
    ) -> float | None:
        """Sleep until a send under `key` may go: at most `per_second` sends in any second,
        and, when `interval` is above zero, `interval` seconds between sends to `recipient`
        (its `recipient_key`).

        Returns the moment (on this pace's clock) by which the send must be handed to its
        channel to keep the promise, or None when there is no limit: a caller that does
        more work first checks it with `past`, and waits again if it has passed."""
        gap = gap_for(per_second, self.margin)
        if interval <= 0:
            recipient = None
        if gap == 0 and recipient is None:
            return None
        recipient_gap = interval + self.margin if recipient is not None else 0.0
        late = 0
        while True:
            asked = self._clock()
            reserved = await self.store.reserve(key, gap, recipient, recipient_gap)
            answered = self._clock()
            # Never early: the slot is at least `wait` after the answer arrived.
            delay = answered + reserved.wait - self._clock()
            if delay > 0:
                await self._sleep(delay)
            if not reserved.taken:
                continue  # the recipient is free now; ask for a sender slot
            if reserved.since is not None:
                asked = max(asked, reserved.since)
            if on_time(asked, reserved.wait, self._clock(), self.margin / 2):
                return asked + reserved.wait + self.margin / 2
            late += 1
            log.warning("pace.late", key=key.split(":to:", 1)[0], attempt=late)
            if late >= MAX_LATE:
                raise PaceTooLate(key.split(":to:", 1)[0])

    def past(self, deadline: float | None) -> bool:
        """Whether a deadline `wait` returned has passed."""
        return deadline is not None and self._clock() > deadline

    async def hold(self, key: str, seconds: float) -> None:
        """After a provider's 'retry after': nothing under `key` for `seconds`."""
        await self.store.hold(key, seconds)


# One store per SQLite file, so every dispatcher on it in this process shares it.
_local: dict[str, LocalStore] = {}


def local_store(url: str) -> LocalStore:
    """The in-memory store of the database at `url`, in this process."""
    return _local.setdefault(url, LocalStore())


__all__ = [
    "LocalStore",
    "Pace",
    "PaceStore",
    "PaceTooLate",
    "Reserved",
    "gap_for",
    "local_store",
    "next_slot",
    "on_time",
    "recipient_key",
]
