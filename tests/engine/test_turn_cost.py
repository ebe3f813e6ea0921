"""What an inbound turn costs the database, and that the cheap path keeps every guarantee.

The statement count of an ordinary turn is pinned (a count, not a timing): a change that adds
a query to every message shows here. The other tests hold what the cheaper path must keep:
a provider's retry is stored once and answered once, also when it races the first delivery
of a new number's first message; the state row is written when the conversation moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func
from sqlmodel import col, select

from bot.clock import clock
from bot.conversation.models import ConversationState, Message
from bot.database import Database
from bot.people.models import ChannelIdentity, YoungPerson
from tests.support import Harness
from tests.world import SOFIE, youth_service

# Who wrote (municipality, identity and young person in one), the inbound row, the state
# locked, the messages of the last minute (bot/conversation/flood.py), the open handoff, the
# reply and its outbox row, the identity's last inbound time.
ORDINARY_TURN_STATEMENTS = 8


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run meanwhile, transaction control (SQLite's BEGIN) left out."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(" ".join(statement.split())[:90])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_menu_from_a_known_young_person_takes_seven_statements(
    db: Database, frozen_clock: datetime
) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    menu = await chat.say("menu")
    clock.advance(timedelta(minutes=1))  # a later message: the identity's last inbound moves
    with statements(db) as seen:
        receipt = await chat.send("menu")
    assert receipt.replies == 1
    assert len(seen) == ORDINARY_TURN_STATEMENTS, "\n".join(seen)
    while await chat.dispatcher.dispatch_once():
        pass
    again = chat.channel.sent[-1]  # what the counted turn stored, sent
    assert (again.text, again.choices) == (menu[-1].text, menu[-1].choices)


async def test_the_state_row_is_written_when_the_conversation_moves(
    db: Database, frozen_clock: datetime
) -> None:
    await youth_service(db)
    chat = Harness(db, address=SOFIE)
    await chat.say("hej")
    await chat.say("menu")
    moved_at = await _state_written_at(db)
    assert moved_at == frozen_clock

    clock.advance(timedelta(minutes=5))
    await chat.say("menu")  # at the menu already: nothing about the conversation changed
    assert await _state_written_at(db) == moved_at

    clock.advance(timedelta(minutes=5))
    await chat.say("hjælp")  # from the menu to the help page
    assert await _state_written_at(db) == frozen_clock + timedelta(minutes=10)


async def test_a_retry_of_a_new_numbers_first_message_makes_no_second_young_person(
    db: Database,
) -> None:
    await youth_service(db)
    chat = Harness(db, address="+4520000001")
    first = await chat.say("hej", provider_id="first")
    again = await chat.say("hej", provider_id="first")
    assert len(first) == 1 and again == []
    assert await _count(db, YoungPerson) == 3  # Sofie, Ahmed and the new one
    assert await _count(db, ChannelIdentity, ChannelIdentity.address == "+4520000001") == 1
    assert await _count(db, Message, Message.direction == "in") == 1


async def test_two_deliveries_of_one_first_message_at_once_are_answered_once(
    db: Database,
) -> None:
    await youth_service(db)
    one, other = Harness(db, address="+4520000002"), Harness(db, address="+4520000002")
    receipts = await asyncio.gather(
        one.send("hej", provider_id="twice"), other.send("hej", provider_id="twice")
    )
    assert sorted(r.duplicate for r in receipts) == [False, True]
    assert await _count(db, ChannelIdentity, ChannelIdentity.address == "+4520000002") == 1
    assert await _count(db, Message, Message.direction == "in") == 1
    assert await _count(db, Message, Message.direction == "out") == 1


async def _state_written_at(db: Database) -> datetime:
    """When Sofie's conversation state was last written."""
    async with db.session() as session:
        written = await session.exec(
            select(ConversationState.updated_at)
            .join(
                ChannelIdentity,
                col(ChannelIdentity.young_person_id) == ConversationState.young_person_id,
            )
            .where(ChannelIdentity.address == SOFIE)
        )
        return written.one()


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(model).where(*where))).one()
