"""How fast the spine turns inbound messages into sent replies.

Prints messages per second through the whole path (Receiver: dedup, identity, engine, one
transaction with the outbox rows; then the dispatcher claiming and sending) and, as the
reference measured in the same run, a bare insert of the same number of message rows, one
transaction each. The ratio is what matters: it says how much the engine costs on top of the
database's own write rate on this machine.

    .venv/bin/python bench/bench_engine.py [--messages 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot.conversation.models import Message
from bot.database import Database
from bot.demo import ensure_demo
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
    db = await fresh(url)
    ref = await reference(db, count)
    await db.dispose()
    db = await fresh(url)
    rate = await spine(db, count)
    await db.dispose()
    backend = url.split(":", 1)[0]
    print(
        f"{backend:28} reference inserts/s {ref:8.0f}   inbound->sent/s {rate:8.0f}   "
        f"ratio {rate / ref:5.2f}"
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
