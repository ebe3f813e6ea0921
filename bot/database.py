"""Engine, sessions and the column types every model shares."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# Stable constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and immediate transactions.

    Bound parameters are a young person's messages, names and numbers: SQLAlchemy leaves
    them out of its errors and logs (`hide_parameters`), so a failed statement logs no body.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _wal(cursor: Any) -> None:
    """Switch to WAL. Switching a new file fails at once, without the busy timeout, while
    another process writes it (say, migrates it): try again for up to ten seconds."""
    for _ in range(200):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA journal_mode=WAL")


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        _wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds only ASCII letters; PostgreSQL's folds Æ, Ø, Å too.
        # Searches compare lower(column) with the lowered query on both databases alike.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY;
        # taking the write lock up front makes concurrent writers wait instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_holding_write_lock: ContextVar[bool] = ContextVar("holding_write_lock", default=False)


class Database:
    """The engine and a factory for sessions, one per unit of work."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time. Queueing our own transactions here is far faster
        # than letting connections collide on the file lock, where SQLite's busy handler
        # sleeps in steps of up to 100 ms.
        self._write_lock = asyncio.Lock() if url.startswith("sqlite") else None

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        if self._write_lock is None or _holding_write_lock.get():
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock:
            token = _holding_write_lock.set(True)
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            finally:
                _holding_write_lock.reset(token)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def claim_ids(
    session: AsyncSession,
    model: Any,
    *,
    due: Select[Any],
    values: dict[str, Any],
    still: ColumnElement[bool] | None = None,
) -> list[int]:
    """Atomically take the rows `due` selects (by id), setting `values`; returns their ids.

    No two workers get the same row: PostgreSQL skips rows another transaction holds
    (FOR UPDATE SKIP LOCKED); SQLite ignores that clause, and there the single UPDATE is
    atomic. `still` re-checks the condition on the row being updated.
    """
    statement = update(model).where(model.id.in_(due.with_for_update(skip_locked=True)))
    if still is not None:
        statement = statement.where(still)
    result = await session.exec(statement.values(**values).returning(model.id))
    return sorted(result.scalars().all())


async def insert_new(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows in one statement, skipping any that a unique key already holds.

    The unique key is the guard against doing something twice (a campaign delivery per
    recipient and occurrence), so a second planner inserts nothing rather than failing.
    Every row names the same columns. On PostgreSQL the rows go as one array per column
    (`INSERT … SELECT … FROM unnest(…)`): one statement and a handful of parameters for
    thousands of rows, where an executemany sends, binds and runs a statement per row.
    """
    if not rows:
        return
    table = model.__table__
    dialect = (await session.connection()).dialect.name
    if dialect != "postgresql":
        await session.exec(sqlite_insert(table).on_conflict_do_nothing(), params=rows)
        return
    await session.exec(_insert_unnested(table, rows).on_conflict_do_nothing())


async def insert_many(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (each naming the same columns) in one statement: on PostgreSQL as one
    array per column, as `insert_new` does; on SQLite as one JSON parameter."""
    if not rows:
        return
    connection = await session.connection()
    table = model.__table__
    if connection.dialect.name == "postgresql":
        await connection.execute(_insert_unnested(table, rows))
    else:
        await connection.execute(_insert_json(connection.dialect, table, rows))


async def insert_many_ids(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows as `insert_many` does; their new ids, in the rows' order."""
    if not rows:
        return []
    connection = await session.connection()
    table = model.__table__
    if connection.dialect.name != "postgresql":
        # SQLite cannot promise RETURNING order for a multi-row insert. We hold the write
        # lock (BEGIN IMMEDIATE), so the new rowids are the next ones after the current
        # maximum, in order.
        before = (await connection.execute(select(func.max(table.c.id)))).scalar() or 0
        await connection.execute(_insert_json(connection.dialect, table, rows))
        return list(range(before + 1, before + 1 + len(rows)))
    # Rows taken in order give ascending ids from the sequence (what SQLAlchemy's own
    # ordered bulk insert relies on); sorted, the ids are in the rows' order.
    statement = _insert_unnested(table, rows, ordered=True).returning(table.c.id)
    return sorted((await connection.execute(statement)).scalars().all())


def _insert_unnested(table: Any, rows: list[dict[str, Any]], *, ordered: bool = False) -> Any:
    """`INSERT INTO table (…) SELECT … FROM unnest(arrays)` for PostgreSQL; `ordered` takes
    the rows in their order."""
    names, single, many = _columns_of(rows)
    arrays = _unnest(table, {name: [row[name] for row in rows] for name in many}, ordered=ordered)
    rows_of = select(
        *(
            bindparam(f"one_{name}", single[name], type_=table.c[name].type)
            if name in single
            else _typed(table, arrays, name)
            for name in names
        )
    ).select_from(arrays)
    if ordered:
        rows_of = rows_of.order_by(arrays.c.ordinality)
    return postgresql_insert(table).from_select([table.c[name] for name in names], rows_of)


def _unnest(table: Any, columns: dict[str, list[Any]], *, ordered: bool = False) -> Any:
    """`unnest(:a, :b, …) AS anon(a, b, …)`: rows sent to PostgreSQL as one array per column
    (JSON values as text, cast back by `_typed`); `ordered` adds their `ordinality`."""
    arrays = [
        bindparam(f"many_{name}", [json.dumps(v) for v in values], type_=ARRAY(Text))
        if isinstance(table.c[name].type, JSON)
        else bindparam(f"many_{name}", values, type_=ARRAY(table.c[name].type))
        for name, values in columns.items()
    ]
    return (
        func.unnest(*arrays)
        .table_valued(*columns, with_ordinality="ordinality" if ordered else None)
        .render_derived()
    )


def _typed(table: Any, arrays: Any, name: str) -> Any:
    """An unnested column as its table column's type (JSON arrives as text)."""
    if isinstance(table.c[name].type, JSON):
        return cast(arrays.c[name], table.c[name].type)
    return arrays.c[name]


async def update_each(
    session: AsyncSession,
    model: Any,
    rows: list[dict[str, Any]],
    *,
    key: str = "id",
    **same: Any,
) -> None:
    """For each row, `UPDATE model SET <its other columns>, <same> WHERE key = row[key]`.

    Every row names the same columns. One statement joins the table to the rows: sent as
    arrays on PostgreSQL (`UPDATE … FROM unnest(…)`), as one JSON parameter on SQLite
    (`UPDATE … FROM json_each(…)`).
    """
    if not rows:
        return
    table = model.__table__
    names = [name for name in rows[0] if name != key]
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        arrays = _unnest(table, {name: [row[name] for row in rows] for name in [key, *names]})
        await connection.execute(
            update(table)
            .where(table.c[key] == arrays.c[key])
            .values({**{name: _typed(table, arrays, name) for name in names}, **same})
        )
        return
    given = _json_rows(connection.dialect, table, rows).subquery()
    await connection.execute(
        update(table)
        .where(table.c[key] == given.c[key])
        .values({**{name: given.c[name] for name in names}, **same})
    )


def _insert_json(dialect: Dialect, table: Any, rows: list[dict[str, Any]]) -> Any:
    """`INSERT INTO table (…) SELECT … FROM json_each(:rows)` for SQLite, in the rows' order."""
    return table.insert().from_select(list(rows[0]), _json_rows(dialect, table, rows))


def _json_rows(dialect: Dialect, table: Any, rows: list[dict[str, Any]]) -> Any:
    """For SQLite: the rows as one JSON parameter, read back by `json_each` in their order.

    What `unnest` is on PostgreSQL: one statement and one parameter for a batch, where an
    executemany builds and binds parameters row by row (most of a bulk write's time). Each
    value goes as its column stores it (the column type's own bind processing), so the rows
    stored are those an executemany stores; a column with one value in every row is one
    ordinary parameter.
    """
    names, single, many = _columns_of(rows)
    binds = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in many]
    packed = json.dumps(
        [
            [
                row[name] if bind is None else bind(row[name])
                for name, bind in zip(many, binds, strict=True)
            ]
            for row in rows
        ]
    )
    each = func.json_each(bindparam("rows", packed, type_=Text)).table_valued("value", "key")
    at = {name: n for n, name in enumerate(many)}
    return (
        select(
            *(
                bindparam(f"one_{name}", single[name], type_=table.c[name].type).label(name)
                if name in single
                else func.json_extract(each.c.value, f"$[{at[name]}]").label(name)
                for name in names
            )
        )
        .select_from(each)
        .order_by(each.c.key)
    )


def _columns_of(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any], list[str]]:
    """The rows' column names; those with one value in every row (the campaign, the time),
    with it; and the others, the first always among them (it carries the rows)."""
    names = list(rows[0])
    single = {
        name: rows[0][name] for name in names[1:] if all(row[name] == rows[0][name] for row in rows)
    }
    return names, single, [name for name in names if name not in single]


def among(session: AsyncSession, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids` for a page of thousands of ids: on PostgreSQL one array parameter
    (`= ANY(:ids)`), not a parameter per id to compile and convert."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]
