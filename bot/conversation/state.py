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

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState


async def _locked(
    session: AsyncSession, wanted: list[int], *, skip_locked: bool = False
) -> dict[int, ConversationState]:
    rows = await session.exec(
        select(ConversationState)
        .where(col(ConversationState.young_person_id).in_(wanted))
        .order_by(col(ConversationState.young_person_id))
        .with_for_update(skip_locked=skip_locked)
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
    existing = await session.exec(
        select(ConversationState.young_person_id).where(
            col(ConversationState.young_person_id).in_(wanted)
        )
    )
    return Taken(states, frozenset(set(existing.all()) - set(states)))
