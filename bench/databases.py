"""Where a database benchmark runs: a temporary SQLite file, then a throwaway PostgreSQL
database when a server answers (INDGANG_TEST_POSTGRES, as the tests use)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable

import psycopg

PG = os.environ.get("INDGANG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def on_each_database(prefix: str, run: Callable[[str, str], Awaitable[None]]) -> None:
    """Call `run(url, backend)` on SQLite, then on a new PostgreSQL database dropped after."""
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite"))
    try:
        admin = psycopg.connect(PG, autocommit=True, connect_timeout=3)
    except psycopg.Error:
        print("postgresql: not reachable, skipped")
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = PG.rsplit("/", 1)[0].split("://", 1)[1]
        try:
            asyncio.run(run(f"postgresql+psycopg://{base}/{name}", "postgresql"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
