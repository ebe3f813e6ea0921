"""The scheduler: one leader (PostgreSQL advisory lock), sweeps run, failures stay contained."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.database import Database
from bot.scheduler import Job, Leadership, Scheduler


async def test_only_one_leader(db: Database) -> None:
    first, second = Leadership(db), Leadership(db)
    other_db = Database(db.url)
    third = Leadership(other_db)
    try:
        assert await first.acquire()
        assert await first.acquire()  # staying leader is idempotent
        if db.dialect == "sqlite":
            assert await second.acquire()  # one process: it is the leader
            return
        assert not await second.acquire()
        assert not await third.acquire()  # another process, too
        await first.release()
        assert await third.acquire()
        assert not await second.acquire()
    finally:
        for lead in (first, second, third):
            await lead.release()
        await other_db.dispose()


async def test_scheduler_runs_jobs_and_survives_a_failing_one(db: Database) -> None:
    ran = asyncio.Event()
    calls: list[str] = []

    async def broken(_db: Database, _wake: Callable[[], None] | None) -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    async def good(_db: Database, wake: Callable[[], None] | None) -> None:
        calls.append("good")
        assert wake is not None
        wake()

    scheduler = Scheduler(
        db, jobs=[Job("broken", 3600, broken), Job("good", 3600, good)], wake=ran.set
    )
    await scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=10)
        assert await scheduler.run_job(Job("broken", 1, broken)) is False
    finally:
        await scheduler.stop()
    assert "good" in calls and calls.count("broken") >= 2
