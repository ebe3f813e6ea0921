"""apscheduler wakes the periodic sweeps; one leader process runs them.

Jobs are in memory (apscheduler 3.11 job stores must not be shared between schedulers);
the work itself is rows in the database. On PostgreSQL the leader holds a session-level
advisory lock on a dedicated connection; on SQLite the single process is the leader.
The jobs are declared in each domain's scheduled.py and listed by the app factory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.database import Database

log = structlog.get_logger(__name__)
# Any fixed 64-bit number shared by every process of this service ("indgang" in hex-ish).
LEADER_LOCK_KEY = 0x1D6A16


@dataclass(frozen=True)
class Job:
    """A named periodic sweep: `run(db, wake)` is awaited every `seconds`."""

    name: str
    seconds: float
    run: Callable[[Database, Callable[[], None] | None], Awaitable[Any]]


class Leadership:
    """Who runs the sweeps: the holder of a PostgreSQL advisory lock, or the SQLite process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None
        # Jobs start together: without this, two would race for the lock from two connections.
        self._guard = asyncio.Lock()

    @property
    def held(self) -> bool:
        """True while this process is the leader."""
        return self.db.dialect == "sqlite" or self._connection is not None

    async def acquire(self) -> bool:
        """Try to become (or stay) the leader; never waits for the lock."""
        if self.db.dialect == "sqlite":
            return True
        async with self._guard:
            return await self._acquire()

    async def _acquire(self) -> bool:
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                # The connection died, and the lock with it: try again from scratch.
                log.warning("scheduler.leader_connection_lost")
                await self.release()
        connection = await self.db.engine.connect()
        try:
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
                )
            ).scalar()
            # Session-level lock: end the implicit transaction, keep the connection.
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        log.info("scheduler.leader")
        return True

    async def release(self) -> None:
        """Give up leadership (closing the connection releases the lock)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            # Never pool a connection that may still hold the lock: drop it instead.
            log.warning("scheduler.unlock_failed")
            await connection.invalidate()
        finally:
            await connection.close()


class Scheduler:
    """Runs the sweeps every interval on the leader; followers keep trying to lead."""

    def __init__(
        self, db: Database, *, jobs: list[Job], wake: Callable[[], None] | None = None
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.wake = wake
        self.leadership = Leadership(db)
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    async def start(self) -> None:
        """Start the in-memory jobs (inside the running event loop)."""
        for job in self.jobs:
            self._scheduler.add_job(
                self.run_job,
                "interval",
                seconds=job.seconds,
                args=[job],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        self._scheduler.start()
        log.info("scheduler.started", jobs=[j.name for j in self.jobs])

    async def run_job(self, job: Job) -> bool:
        """Run one sweep if this process leads; a failure is logged, not raised."""
        try:
            if not await self.leadership.acquire():
                return False
            await job.run(self.db, self.wake)
            return True
        except Exception:
            log.exception("scheduler.job_failed", job=job.name)
            return False

    async def stop(self) -> None:
        """Stop the jobs and let go of leadership."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await self.leadership.release()
