"""A young person's conversation state, read in order to change it: locked on PostgreSQL.

Whatever changes where a young person is in the conversation — an inbound turn, a reminder,
check-in or campaign sweep, a contact person's reply, hand-back or close — reads the state
through here before anything else about that person. On PostgreSQL the rows are taken
`SELECT … FOR UPDATE`, so such transactions for one young person run one after the other and
none overwrites a change it did not see; several are locked in one statement in id order, so
two sweeps never wait for each other in a circle. SQLite has one writer at a time (the write
lock in bot/database.py and BEGIN IMMEDIATE), so there the transaction itself is the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState
from bot.database import among, insert_many, update_each


def _locking(
    session: AsyncSession, what: Sequence[Any], wanted: list[int], *, skip_locked: bool
) -> Any:
    """SELECT `what` of these states FOR UPDATE, in id order (no waiting in a circle)."""
    return (
        select(*what)
        .where(among(session, col(ConversationState.young_person_id), wanted))
        .order_by(col(ConversationState.young_person_id))
        .with_for_update(skip_locked=skip_locked)
    )


async def _locked(
    session: AsyncSession, wanted: list[int], *, skip_locked: bool = False
) -> dict[int, ConversationState]:
    rows = await session.exec(
        _locking(session, [ConversationState], wanted, skip_locked=skip_locked)
        # Read again even if this session loaded them before the lock was ours.
        .execution_options(populate_existing=True)
    )
    return {state.young_person_id: state for state in rows.all()}


async def locked_states(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, ConversationState]:
    """The states of these young people that exist, by person id, locked until commit."""
    wanted = sorted(set(person_ids))
    return await _locked(session, wanted) if wanted else {}


async def locked_state(session: AsyncSession, person_id: int) -> ConversationState | None:
    """One young person's state, if they have one, locked until commit."""
    return (await locked_states(session, [person_id])).get(person_id)


@dataclass(frozen=True)
class Taken:
    """What a sweep got: the states it now holds, and the young people someone else holds."""

    states: dict[int, ConversationState]
    busy: frozenset[int]


async def take_states(session: AsyncSession, person_ids: Iterable[int]) -> Taken:
    """For sweeps, which already hold rows they claimed: lock the states nobody holds, without
    waiting (SKIP LOCKED), and name the young people whose state somebody does hold.

    A sweep that waited for a state while holding its claimed rows could wait in a circle
    with a turn that holds the state and changes one of those rows (answering a reminder
    plans the meeting's reminders again), and PostgreSQL would end the circle by failing one
    of them. Instead the sweep leaves a busy young person's rows for its next round.
    """
    wanted = sorted(set(person_ids))
    if not wanted:
        return Taken({}, frozenset())
    states = await _locked(session, wanted, skip_locked=True)
    return Taken(states, await _held_elsewhere(session, wanted, set(states)))


async def _held_elsewhere(
    session: AsyncSession, wanted: list[int], taken: set[int]
) -> frozenset[int]:
    """Of `wanted`, the young people whose state exists but was not `taken` (locked)."""
    existing = await session.exec(
        select(ConversationState.young_person_id).where(
            among(session, col(ConversationState.young_person_id), wanted)
        )
    )
    return frozenset(set(existing.all()) - taken)


@dataclass
class StateRow:
    """A conversation state as plain values, for sweeps that change thousands at once
    (an ORM object per state costs more than the rest of a reminder together)."""

    young_person_id: int
    flow: str
    step: str
    data: dict[str, Any]
    misses: int
    updated_at: datetime
    # Not in the database yet: `save_rows` inserts it.
    new: bool = False


@dataclass(frozen=True)
class TakenRows:
    """What `take_rows` got: the states it holds, as rows, and the young people someone
    else holds."""

    states: dict[int, StateRow]
    busy: frozenset[int]


_COLUMNS = (
    ConversationState.young_person_id,
    ConversationState.flow,
    ConversationState.step,
    ConversationState.data,
    ConversationState.misses,
    ConversationState.updated_at,
)


async def take_rows(session: AsyncSession, person_ids: Iterable[int]) -> TakenRows:
    """`take_states` as plain rows: the same locks (SKIP LOCKED), the same busy set."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return TakenRows({}, frozenset())
    connection = await session.connection()
    rows = await connection.execute(_locking(session, _COLUMNS, wanted, skip_locked=True))
    states = {row[0]: StateRow(*row) for row in rows.all()}
    return TakenRows(states, await _held_elsewhere(session, wanted, set(states)))


async def save_rows(session: AsyncSession, states: Sequence[StateRow]) -> None:
    """Write these states back: the new ones in one insert, the others in one update."""
    await insert_many(session, ConversationState, [_values(s) for s in states if s.new])
    await update_each(
        session,
        ConversationState,
        [_values(s) for s in states if not s.new],
        key="young_person_id",
    )


def _values(state: StateRow) -> dict[str, Any]:
    return {
        "young_person_id": state.young_person_id,
        "flow": state.flow,
        "step": state.step,
        "data": state.data,
        "misses": state.misses,
        "updated_at": state.updated_at,
    }
