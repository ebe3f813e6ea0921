"""The test fixtures isolate: no developer .env, a clean database for every test, UTC.

These guard the test set-up itself (tests/fixtures), on which every other test relies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, SQLModel, select

from bot.database import Database
from bot.municipalities.models import Municipality
from bot.settings import Settings, get_settings
from tests.fakes.telegram_api import TEST_TOKEN
from tests.fixtures.databases import PostgresDatabases
from tests.fixtures.inbox import inbox_settings
from tests.fixtures.stack import Stack
from tests.support import Harness
from tests.world import municipality


@pytest.fixture
def bad_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A .env in the working directory with values that would stop any Settings."""
    env = tmp_path / ".env"
    env.write_text(
        "INDGANG_TIMEZONE=Mars/Olympus\nINDGANG_TELEGRAM_TOKEN=1:x\n"
        "INDGANG_DATABASE_URL=mysql://nowhere\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


async def test_a_developers_env_file_never_reaches_the_fixtures(
    bad_env_file: Path, stack: Stack, db: Database
) -> None:
    # The file is really there and really bad: read on purpose, it stops Settings.
    with pytest.raises(ValidationError):
        Settings(_env_file=bad_env_file.name)
    # Yet the app with its fakes, the harness and the inbox settings built from defaults.
    assert stack.settings.timezone == "Europe/Copenhagen"
    assert Harness(db).settings.timezone == "Europe/Copenhagen"
    assert inbox_settings(db).timezone == "Europe/Copenhagen"
    # The channels' own settings too: the Telegram token is the fake's, not the file's.
    assert stack.app.state.channel_settings["telegram"].token == TEST_TOKEN
    # And what the product builds for itself (the CLI) ignores it too.
    assert get_settings().timezone == "Europe/Copenhagen"


async def test_db_has_every_table_and_no_rows(db: Database) -> None:
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(SQLModel.metadata.tables) <= tables
    async with db.session() as session:
        assert (await session.exec(select(Municipality))).all() == []
        town = await municipality(session)
    assert town.id == 1  # numbering starts again for every test


async def test_database_url_is_empty(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert tables == []
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_runs_in_utc(db: Database, backend: str) -> None:
    async with db.engine.connect() as first, db.engine.connect() as second:
        for connection in (first, second):  # every connection, not only the first
            assert (await connection.execute(text("SHOW timezone"))).scalar() == "UTC"


def _add_town(url: str, code: str) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            town = Municipality(name=code.upper(), code=code)
            session.add(town)
            session.commit()
            assert town.id is not None
            return town.id
    finally:
        engine.dispose()


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_working_database_is_emptied_and_renewed_when_a_test_changed_it(
    backend: str, postgres_databases: PostgresDatabases
) -> None:
    url = postgres_databases.fresh()
    assert [_add_town(url, "a"), _add_town(url, "b")] == [1, 2]
    left_open = psycopg.connect(_plain(url))  # a connection a careless test left mid-transaction
    left_open.execute("SELECT * FROM municipality FOR UPDATE")

    url = postgres_databases.fresh()  # closes it, deletes the rows, restarts the numbering
    assert left_open.closed or left_open.broken or _is_terminated(left_open)
    assert _add_town(url, "c") == 1
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE stray (id int)")  # a schema change...

    url = postgres_databases.fresh()  # ...gets a fresh clone of the template
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('stray')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM municipality").fetchone() == (0,)
        assert conn.execute("SHOW timezone").fetchone() == ("UTC",)
        conn.execute("ALTER TABLE municipality ADD COLUMN stray int")  # a new column, too

    url = postgres_databases.fresh()
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'municipality'"
        ).fetchall()
        assert ("stray",) not in columns and ("code",) in columns


def _is_terminated(conn: psycopg.Connection) -> bool:  # type: ignore[type-arg]
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    finally:
        conn.close()
    return False
