"""How fast the spine turns inbound messages into sent replies.

Prints messages per second through the whole path (Receiver: dedup, identity, engine, one
transaction with the outbox rows; then the dispatcher claiming and sending) and, as the
reference measured in the same run, a bare insert of the same number of message rows, one
transaction each. The ratio is what matters: it says how much the engine costs on top of the
database's own write rate on this machine.

Beside it, the inbound path alone (stored and answered into the outbox, nothing sent), its
CPU time per message in this process (steadier than wall time on a busy machine; on
PostgreSQL the server's share is not in it), and the SQL statements one ordinary turn takes
("menu" from a known young person, BEGIN included). The crisis screen is built before the
clock starts, as `indgang serve` builds it at start.

    .venv/bin/python bench/bench_engine.py [--messages 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from sqlalchemy import event
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot.conversation.models import Message
from bot.database import Database
from bot.demo import ensure_demo
from bot.safety.screen import load_screener
from tests.support import Harness


async def fresh(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    await ensure_demo(db)
    return db


async def reference(db: Database, count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        async with db.session() as session:
            session.add(
                Message(
                    channel="web",
                    direction="in",
                    author="young_person",
                    body="hej",
                    provider_id=f"ref-{n}",
                )
            )
    return count / (time.perf_counter() - start)


@dataclass(frozen=True)
class InboundFigures:
    """The inbound path alone: messages per second, CPU milliseconds per message."""

    rate: float
    cpu_ms: float


async def inbound_only(db: Database, count: int) -> InboundFigures:
    people = [Harness(db, address=f"inbound-{n}") for n in range(50)]
    for person in people:
        await person.send("hej")
    start, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        await people[n % 50].send("menu", provider_id=f"inbound-{n}")
    elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
    return InboundFigures(rate=count / elapsed, cpu_ms=1000 * cpu_used / count)


async def statements_per_turn(db: Database) -> int:
    """SQL statements for one "menu" from a young person the bot knows."""
    person = Harness(db, address="counted")
    await person.send("hej")
    await person.send("menu")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await person.send("menu")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return len(statements)


async def spine(db: Database, count: int) -> float:
    people = [Harness(db, address=f"bench-{n % 50}") for n in range(50)]
    start = time.perf_counter()
    for n in range(count):
        await people[n % 50].send("menu" if n >= 50 else "hej", provider_id=f"spine-{n}")
        if n % 25 == 24:
            while await people[0].dispatcher.dispatch_once():
                pass
    while await people[0].dispatcher.dispatch_once():
        pass
    return count / (time.perf_counter() - start)


async def run(url: str, count: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    load_screener()
    db = await fresh(url)
    ref = await reference(db, count)
    await db.dispose()
    db = await fresh(url)
    rate = await spine(db, count)
    await db.dispose()
    db = await fresh(url)
    alone = await inbound_only(db, count)
    statements = await statements_per_turn(db)
    await db.dispose()
    backend = url.split(":", 1)[0]
    print(
        f"{backend:20} reference inserts/s {ref:6.0f}   inbound->sent/s {rate:6.0f} "
        f"ratio {rate / ref:5.2f}   inbound->outbox/s {alone.rate:6.0f} "
        f"ratio {alone.rate / ref:5.2f}   CPU {alone.cpu_ms:5.1f} ms/msg   "
        f"statements/turn {statements}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.messages))
    try:
        asyncio.run(run(args.postgres, args.messages))
    except OSError as exc:
        print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()
