"""A row cancelled while a dispatcher holds it: it goes only if it was handed over first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.conversation.models import Message
from bot.database import Database
from bot.outbox import leases, service
from bot.outbox.models import CANCELLED, FAILED, SENDING, SENT, OutboxItem
from bot.people.models import ChannelIdentity
from tests.world import one_person

NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)


async def _leased(db: Database) -> tuple[int, int]:
    """One queued message, leased by w1: its outbox and message ids."""
    world = await one_person(db)
    async with db.session() as session:
        identity = (
            await session.exec(
                select(ChannelIdentity).where(ChannelIdentity.young_person_id == world.person_id)
            )
        ).one()
        message = await service.enqueue(session, identity=identity, text="Hej", now=NOW)
    [item_id] = await leases.claim(db, owner="w1", now=NOW, limit=10, lease_seconds=60)
    assert message.id is not None
    return item_id, message.id


async def _start(db: Database, item_id: int) -> bool:
    return await leases.start_sending(db, item_id, owner="w1", now=NOW, lease_seconds=60, spare=15)


async def _cancel(db: Database, message_id: int) -> bool:
    async with db.session() as session:
        return await service.cancel_pending(session, message_id=message_id, now=NOW)


async def _status(db: Database, item_id: int) -> tuple[str, str]:
    async with db.session() as session:
        item = await session.get_one(OutboxItem, item_id)
        message = await session.get_one(Message, item.message_id)
        return item.status, message.status


async def test_a_row_handed_to_its_channel_is_not_cancelled_and_is_recorded_as_sent(
    db: Database,
) -> None:
    item_id, message_id = await _leased(db)
    assert await _start(db, item_id)
    assert await _status(db, item_id) == (SENDING, "queued")
    assert not await _cancel(db, message_id), "too late: the provider may have it"
    kept = await leases.settle(
        db, item_id, owner="w1", now=NOW, status=SENT, message_status="sent", provider_id="p1"
    )
    assert kept
    assert await _status(db, item_id) == (SENT, "sent")


@pytest.mark.parametrize("outcome", [FAILED, "pending"])
async def test_a_row_cancelled_before_it_was_handed_over_never_goes(
    db: Database, outcome: str
) -> None:
    item_id, message_id = await _leased(db)
    assert await _cancel(db, message_id), "leased but not yet sending: still cancellable"
    assert not await _start(db, item_id)
    kept = await leases.settle(
        db,
        item_id,
        owner="w1",
        now=NOW,
        status=outcome,
        message_status="failed",
        retry_at=NOW + timedelta(minutes=1),
    )
    assert not kept
    assert await _status(db, item_id) == (CANCELLED, "cancelled")


async def test_a_lease_taken_over_settles_for_its_new_owner_only(db: Database) -> None:
    item_id, _ = await _leased(db)
    later = NOW + timedelta(seconds=61)
    assert not await leases.start_sending(
        db, item_id, owner="w1", now=later, lease_seconds=60, spare=15
    ), "the lease ran out"
    assert await leases.claim(db, owner="w2", now=later, limit=10, lease_seconds=60) == [item_id]
    assert await leases.renew(db, [item_id], owner="w1", now=later, lease_seconds=60) == set()
    assert not await leases.settle(
        db, item_id, owner="w1", now=later, status=SENT, message_status="sent"
    )
    assert await leases.settle(
        db, item_id, owner="w2", now=later, status=SENT, message_status="sent"
    )
