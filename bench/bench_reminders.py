"""Sweep 100,000 due reminders into the outbox; print the time, reminders/s and a ratio.

The reference, measured in the same run, is a plain bulk INSERT of as many outbox-sized
rows (a message and its outbox row). The sweep is timed untraced; its peak memory is traced
(tracemalloc, which slows it several times over) in a separate sweep of `MEMORY_PASS`
reminders on a database of their own: a sweep holds one batch at a time, so the peak does
not grow with the number of reminders. The target is 100,000 in under 10 s on both databases.

    .venv/bin/python bench/bench_reminders.py [N]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.models  # noqa: F401
from bench.databases import on_each_database
from bench.rows import plain_insert
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Plan
from bot.reminders.models import Reminder
from bot.reminders.sweep import sweep_due
from bot.wiring import build_engine

PEOPLE = 1000
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen: no quiet hours


async def seed(db: Database, total: int) -> None:
    """Municipality, people with a channel, appointments, and `total` due reminders."""
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.execute(
            insert(Municipality),
            [{"id": 1, "name": "Bench", "code": "bench", "timezone": "Europe/Copenhagen"}],
        )
        await conn.execute(
            insert(YoungPerson),
            [
                {"id": i, "municipality_id": 1, "language": "da", "status": "active"}
                for i in range(1, PEOPLE + 1)
            ],
        )
        await conn.execute(
            insert(ChannelIdentity),
            [
                {"id": i, "young_person_id": i, "channel": "sms", "address": f"+45{20000000 + i}"}
                for i in range(1, PEOPLE + 1)
            ],
        )
        await conn.execute(
            insert(Plan),
            [{"id": i, "young_person_id": i, "goal": "Mål"} for i in range(1, PEOPLE + 1)],
        )
        appointments = total // 2
        await conn.execute(
            insert(Appointment),
            [
                {
                    "id": i,
                    "plan_id": i % PEOPLE + 1,
                    "starts_at": NOW + timedelta(hours=3),
                    "place": "Ungeindsatsen, Torvet 1",
                    "status": "planned",
                }
                for i in range(1, appointments + 1)
            ],
        )
        rows = [
            {
                "young_person_id": i % PEOPLE + 1,
                "kind": "appointment",
                "target_id": i,
                "offset_key": key,
                "due_at": NOW - timedelta(minutes=1),
                "status": "pending",
            }
            for i in range(1, appointments + 1)
            for key in ("1d@16:00", "2h")
        ]
        for start in range(0, len(rows), 10_000):
            await conn.execute(insert(Reminder), rows[start : start + 10_000])


async def reference(db: Database, total: int) -> float:
    """Seconds for a plain bulk insert of `total` message + outbox rows."""
    return await plain_insert(
        db, total, body="Husk dit møde tirsdag kl. 10.00. Sted: Torvet 1.", now=NOW
    )


async def timed(url: str, label: str, total: int) -> None:
    """Seed, sweep untraced, and print the time against the plain insert for one database."""
    db = Database(url)
    try:
        await seed(db, total)
        started, cpu = time.perf_counter(), time.process_time()
        result = await sweep_due(db, build_engine(), NOW)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert result.sent == total, result.outcomes
        ref = await reference(db, total)
        # CPU time is this process's (SQLite's work included, PostgreSQL's server not).
        print(
            f"{label}: {total} reminders in {seconds:.1f} s (CPU {cpu:.1f} s) = "
            f"{total / seconds:,.0f}/s; plain insert {total / ref:,.0f} rows/s; "
            f"sweep takes {seconds / ref:.2f}x the plain insert"
        )
    finally:
        await db.dispose()


async def traced(url: str, label: str, total: int) -> None:
    """Seed and sweep `total` reminders under tracemalloc; print the peak."""
    db = Database(url)
    try:
        await seed(db, total)
        tracemalloc.start()
        result = await sweep_due(db, build_engine(), NOW)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert result.sent == total, result.outcomes
        print(f"{label}: peak traced memory {peak / 1e6:.1f} MB sweeping {total} reminders")
    finally:
        await db.dispose()


MEMORY_PASS = 10_000


def main() -> None:
    """Run on SQLite, then on PostgreSQL if it answers: the timed sweep, then the traced."""
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    on_each_database("bench_sweep", lambda url, backend: timed(url, backend, total))
    memory = min(total, MEMORY_PASS)
    on_each_database("bench_sweep_mem", lambda url, backend: traced(url, backend, memory))


if __name__ == "__main__":
    main()
