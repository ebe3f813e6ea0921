"""A young person's rows in every table, found by following foreign keys.

Tables are found from the models' metadata rather than listed by hand, so a table another
domain adds later (with a foreign key to a young person, or to one of their rows) is
exported and deleted too. Audit events hold the young person's id as a bare number with no
foreign key, so they are never reached from here: they outlive the data they describe.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.models  # noqa: F401  (every table must be in the metadata before we walk it)
from bot.database import metadata

PERSON_TABLE = "young_person"
NEVER_TOUCHED = frozenset({"audit_event", "retention_count"})
# Columns that are secrets or provider bookkeeping, not facts about the young person.
HIDDEN_COLUMNS = frozenset({"code_hash", "token_hash", "csrf_token", "lease_owner"})
_MAX_DEPTH = 8


def _children(table: Table) -> list[tuple[Table, Any, Any]]:
    found = []
    for child in metadata.sorted_tables:
        if child is table or child.name in NEVER_TOUCHED:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is table:
                found.append((child, fk.parent, fk.column))
    return found


def _walk(
    table: Table, condition: ColumnElement[bool], into: dict[str, list[Any]], depth: int = 0
) -> None:
    if depth > _MAX_DEPTH:
        raise RuntimeError(f"foreign keys nest too deep below {table.name}")
    into[table.name].append(condition)
    for child, column, referenced in _children(table):
        _walk(child, column.in_(select(referenced).where(condition)), into, depth + 1)


def owned_rows(person_ids: list[int]) -> list[tuple[Table, ColumnElement[bool]]]:
    """Every table holding rows of these young people, parents first, with a row filter."""
    person = metadata.tables[PERSON_TABLE]
    conditions: dict[str, list[Any]] = defaultdict(list)
    _walk(person, person.c.id.in_(person_ids), conditions)
    return [
        (table, or_(*conditions[table.name]))
        for table in metadata.sorted_tables
        if table.name in conditions
    ]


async def count_rows(session: AsyncSession, person_ids: list[int]) -> dict[str, int]:
    """How many rows each table holds for these young people (tables with none left out)."""
    connection = await session.connection()
    counts = {}
    for table, condition in owned_rows(person_ids):
        result = await connection.execute(select(func.count()).select_from(table).where(condition))
        if n := int(result.scalar_one()):
            counts[table.name] = n
    return counts


async def delete_rows(session: AsyncSession, person_ids: list[int]) -> dict[str, int]:
    """Delete every row of these young people, children before parents; return the counts."""
    counts = await count_rows(session, person_ids)
    connection = await session.connection()
    for table, condition in reversed(owned_rows(person_ids)):
        await connection.execute(delete(table).where(condition))
    session.expunge_all()  # objects loaded earlier describe rows that are gone
    return counts


async def dump_rows(session: AsyncSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of one young person, by table name, parents first (for the export)."""
    connection = await session.connection()
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, condition in owned_rows([person_id]):
        order = [*table.primary_key.columns]
        result = await connection.execute(select(table).where(condition).order_by(*order))
        rows = [
            {key: value for key, value in row.items() if key not in HIDDEN_COLUMNS}
            for row in result.mappings().all()
        ]
        if rows:
            tables[table.name] = rows
    return tables
