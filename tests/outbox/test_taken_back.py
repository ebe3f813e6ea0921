"""A row cancelled while a dispatcher sends it (its campaign paused): what went is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.database import Database
from bot.outbox import service
from bot.outbox.models import CANCELLED, FAILED, SENT, OutboxItem
from bot.people.models import ChannelIdentity
from tests.world import one_person


async def _leased_then_cancelled(db: Database, now: datetime) -> int:
    world = await one_person(db)
    async with db.session() as session:
        identity = (
            await session.exec(
                select(ChannelIdentity).where(ChannelIdentity.young_person_id == world.person_id)
            )
        ).one()
        message = await service.enqueue(session, identity=identity, text="Hej", now=now)
    [item_id] = await service.claim(db, owner="w1", now=now, limit=10, lease_seconds=60)
    async with db.session() as session:
        item = await session.get_one(OutboxItem, item_id)
        assert item.message_id == message.id
        item.status = CANCELLED  # staff paused the campaign while w1 was sending
        session.add(item)
    return item_id


async def test_a_send_that_went_is_recorded_though_the_row_was_taken_back(db: Database) -> None:
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    item_id = await _leased_then_cancelled(db, now)
    assert not await service.still_pending(db, item_id)
    kept = await service.settle(
        db, item_id, owner="w1", now=now, status=SENT, message_status="sent", provider_id="p1"
    )
    assert kept
    async with db.session() as session:
        assert (await session.get_one(OutboxItem, item_id)).status == SENT


@pytest.mark.parametrize("outcome", [FAILED, "pending"])
async def test_a_send_that_did_not_go_stays_taken_back(db: Database, outcome: str) -> None:
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    item_id = await _leased_then_cancelled(db, now)
    kept = await service.settle(
        db,
        item_id,
        owner="w1",
        now=now,
        status=outcome,
        message_status="failed",
        retry_at=now + timedelta(minutes=1),
    )
    assert not kept
    async with db.session() as session:
        assert (await session.get_one(OutboxItem, item_id)).status == CANCELLED
