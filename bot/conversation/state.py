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

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState


async def locked_states(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, ConversationState]:
    """The states of these young people that exist, by person id, locked until commit."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = await session.exec(
        select(ConversationState)
        .where(col(ConversationState.young_person_id).in_(wanted))
        .order_by(col(ConversationState.young_person_id))
        .with_for_update()
        # Read again even if this session loaded them before the lock was ours.
        .execution_options(populate_existing=True)
    )
    return {state.young_person_id: state for state in rows.all()}


async def locked_state(session: AsyncSession, person_id: int) -> ConversationState | None:
    """One young person's state, if they have one, locked until commit."""
    return (await locked_states(session, [person_id])).get(person_id)
