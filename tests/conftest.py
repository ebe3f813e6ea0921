"""Shared fixtures: a database of each kind, a stopped clock, the engine's collecting channel."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (every table)
from bot.clock import clock
from bot.database import Database

POSTGRES_ADMIN = os.environ.get("INDGANG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN} ({type(exc).__name__})"


_PG_UNAVAILABLE = _postgres_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PostgreSQL, skip its tests with a reason; in CI, never skip them."""
    if _PG_UNAVAILABLE is None:
        return
    if IN_CI:
        raise pytest.UsageError(f"CI must test PostgreSQL: {_PG_UNAVAILABLE}")
    skip = pytest.mark.skip(reason=_PG_UNAVAILABLE)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(skip)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs against."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the backend's kind."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'indgang.db'}"
        return
    name = f"indgang_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A database with every table (built from the models; migrations have their own test)."""
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
        if database.dialect == "postgresql":
            await connection.execute(text("SET TIME ZONE 'UTC'"))
    yield database
    await database.dispose()


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    """Stop time at a Tuesday morning in Copenhagen; tests may move it."""
    moment = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    clock.set(moment)
    yield moment
    clock.reset()
