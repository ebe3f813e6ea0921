"""Send slots in PostgreSQL, shared by every dispatcher process (see bot/outbox/limits.py).

One short transaction per send, on the `send_pace` row of its key: a first upsert takes the
row lock, so concurrent processes queue on it; once it is held, the process notes its own
time and a second statement takes the next slot, ``slot = greatest(next_at, now)``,
``next_at = slot + gap``. Time is the database's `clock_timestamp()`, one clock for every
process; the answer is a wait in seconds, and the noted time tells `Pace` that queueing for
the lock was not lateness (with several workers on one key, the queue is most of the
round trip, and counting it threw nearly every slot away).

Slots are taken one at a time, not in batches: the transaction takes about a millisecond, so
one key manages hundreds of sends a second, far above any provider's limit here (Telegram
30/s), and a slot reserved but never used is a send lost from the rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text

from bot.database import Database
from bot.outbox.limits import Pace, Reserved, local_store

# A recipient row (one per chat recently written to) is waste once its time has passed.
_SWEEP_EVERY = 60.0

# Lock a key's row, creating it (free now) if it is new, so that two processes asking at
# once queue on it.
_LOCK = text(
    "INSERT INTO send_pace AS p (sender, next_at) VALUES (:key, clock_timestamp()) "
    "ON CONFLICT (sender) DO UPDATE SET next_at = p.next_at"
)
# Lock the recipient's row the same way; answers seconds until the recipient is free.
_RECIPIENT = text(
    "INSERT INTO send_pace AS p (sender, next_at) VALUES (:recipient, clock_timestamp()) "
    "ON CONFLICT (sender) DO UPDATE SET next_at = p.next_at "
    "RETURNING extract(epoch FROM p.next_at - clock_timestamp())"
)
# The next slot of `key`: excluded.next_at is now + gap, so the new next_at is
# greatest(old next_at, now) + gap. Answers seconds from now until the slot.
_SENDER = text(
    "INSERT INTO send_pace AS p (sender, next_at) "
    "VALUES (:key, clock_timestamp() + make_interval(secs => :gap)) "
    "ON CONFLICT (sender) DO UPDATE "
    "SET next_at = greatest(p.next_at + make_interval(secs => :gap), excluded.next_at) "
    "RETURNING extract(epoch FROM p.next_at - clock_timestamp()) - :gap"
)
_PUSH_RECIPIENT = text(
    "UPDATE send_pace SET next_at = (SELECT next_at FROM send_pace WHERE sender = :key) "
    "+ make_interval(secs => :recipient_gap - :gap) WHERE sender = :recipient"
)
_HOLD = text(
    "INSERT INTO send_pace AS p (sender, next_at) "
    "VALUES (:key, clock_timestamp() + make_interval(secs => :seconds)) "
    "ON CONFLICT (sender) DO UPDATE SET next_at = greatest(p.next_at, excluded.next_at)"
)
_SWEEP = text(
    "DELETE FROM send_pace WHERE sender LIKE '%:to:%' "
    "AND next_at < clock_timestamp() - interval '1 minute'"
)


class DatabaseStore:
    """Slots in the `send_pace` table (PostgreSQL)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self._clock = clock
        self._swept = time.monotonic()

    async def reserve(
        self, key: str, gap: float, recipient: str | None, recipient_gap: float
    ) -> Reserved:
        """Take `key`'s next slot (if `recipient` is free) in one short transaction."""
        async with self.db.engine.begin() as connection:
            # Rows are locked recipient first, then sender: always that order, so no deadlock.
            if recipient is not None:
                result = await connection.execute(_RECIPIENT, {"recipient": recipient})
                busy = float(result.scalar_one())
                if busy > 0:
                    return Reserved(busy, taken=False)
            await connection.execute(_LOCK, {"key": key})
            since = self._clock()  # the lock is ours: from here on, waiting is lateness
            result = await connection.execute(_SENDER, {"key": key, "gap": gap})
            wait = float(result.scalar_one())
            if recipient is not None:
                await connection.execute(
                    _PUSH_RECIPIENT,
                    {
                        "key": key,
                        "recipient": recipient,
                        "gap": gap,
                        "recipient_gap": recipient_gap,
                    },
                )
        if time.monotonic() - self._swept > _SWEEP_EVERY:
            await self._sweep()
        return Reserved(wait, since=since)

    async def hold(self, key: str, seconds: float) -> None:
        """Give `key` no slot for `seconds` from now."""
        async with self.db.engine.begin() as connection:
            await connection.execute(_HOLD, {"key": key, "seconds": seconds})

    async def _sweep(self) -> None:
        self._swept = time.monotonic()
        async with self.db.engine.begin() as connection:
            await connection.execute(_SWEEP)


def pace_for(db: Database, margin: float) -> Pace:
    """Shared pacing for `db`: the table on PostgreSQL, this process's memory on SQLite."""
    if db.dialect == "postgresql":
        return Pace(DatabaseStore(db), margin)
    return Pace(local_store(db.url), margin)


__all__ = ["DatabaseStore", "pace_for"]
