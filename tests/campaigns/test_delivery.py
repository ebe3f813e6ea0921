"""A campaign to 2,000 young people over the fake Telegram and Twilio servers: each eligible
recipient gets exactly one message, nobody left out gets any, and the counts agree."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import insert

from bot.campaigns import service
from bot.campaigns.models import CANCELLED, PAUSED, QUEUED, RUNNING, SKIPPED, Campaign
from bot.campaigns.results import progress
from bot.clock import clock, utcnow
from bot.database import Database
from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity, YoungPerson
from tests.campaigns.world import deliveries, spec, started, sweep
from tests.fixtures.stack import Stack

PER_CHANNEL = 1000
LEFT_OUT = {"opted_out": 7, "no_channel": 5, "paused": 4, "in_handoff": 3, "unreachable": 6}


async def _crowd(db: Database, town_id: int, now: datetime) -> dict[str, list[str]]:
    """2,000 reachable young people (half Telegram, half SMS) and some who must be left out."""
    people: list[dict[str, object]] = []
    kinds: list[str] = []
    for channel in ("telegram", "sms"):
        people += [{"municipality_id": town_id, "first_name": f"U{i}"} for i in range(PER_CHANNEL)]
        kinds += [channel] * PER_CHANNEL
    for reason, count in LEFT_OUT.items():
        status = "paused" if reason == "paused" else "active"
        people += [{"municipality_id": town_id, "status": status} for _ in range(count)]
        kinds += [reason] * count
    async with db.session() as session:
        await session.exec(
            insert(YoungPerson), params=[{**p, "language": "da", "created_at": now} for p in people]
        )
        ids = [
            p.id or 0
            for p in (await session.exec(_all(YoungPerson))).all()
            if p.municipality_id == town_id
        ]
        addresses: dict[str, list[str]] = {"telegram": [], "sms": []}
        identities = []
        handoffs = []
        for n, (person_id, kind) in enumerate(zip(ids, kinds, strict=True)):
            if kind == "no_channel":
                continue
            channel = "sms" if kind == "sms" else "telegram"
            address = f"+45201{n:05d}" if channel == "sms" else str(7_000_000 + n)
            if kind in addresses:
                addresses[kind].append(address)
            identities.append(
                {
                    "young_person_id": person_id,
                    "channel": channel,
                    "address": address,
                    "verified": True,
                    "opted_out_at": now if kind == "opted_out" else None,
                    "unreachable_at": now if kind == "unreachable" else None,
                    "created_at": now,
                }
            )
            if kind == "in_handoff":
                handoffs.append(
                    {
                        "young_person_id": person_id,
                        "municipality_id": town_id,
                        "reason": "user_request",
                        "status": "open",
                        "created_at": now,
                    }
                )
        await session.exec(insert(ChannelIdentity), params=identities)
        await session.exec(insert(Handoff), params=handoffs)
    return addresses


def _all(model: type[YoungPerson]):  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    return select(model).order_by(col(model.id))


async def test_two_thousand_get_one_message_each_and_the_left_out_none(
    stack: Stack, frozen_clock: datetime
) -> None:
    addresses = await _crowd(stack.db, stack.municipality_id, frozen_clock)
    campaign_id = await started(
        stack.db,
        spec(
            municipality="751",
            audience={"status": ["active", "paused"]},
            schedule={"at": frozen_clock.isoformat()},
        ),
        frozen_clock,
    )
    result = await sweep(stack.db, frozen_clock)
    assert result.queued == 2 * PER_CHANNEL
    assert result.skipped == {} or set(result.skipped) <= set(LEFT_OUT)
    await stack.dispatch()

    telegram = Counter(str(m["chat_id"]) for m in stack.telegram.sent_messages())
    sms = Counter(str(m["to"]) for m in stack.twilio.messages)
    assert sorted(telegram) == sorted(addresses["telegram"])
    assert sorted(sms) == sorted(addresses["sms"])
    assert set(telegram.values()) == {1} and set(sms.values()) == {1}

    rows = await deliveries(stack.db, campaign_id)
    skipped = Counter(d.skip_reason for d in rows if d.status == SKIPPED)
    assert skipped == Counter(LEFT_OUT)
    counts = await progress(stack.db, campaign_id)
    assert counts["queued"] == 0
    assert counts["sent"] + counts["delivered"] == len(telegram) + len(sms)
    assert counts["skipped"] == sum(LEFT_OUT.values())


async def test_pause_takes_back_what_is_queued_and_resume_sends_it_once(
    stack: Stack, frozen_clock: datetime
) -> None:
    addresses = await _crowd(stack.db, stack.municipality_id, frozen_clock)
    campaign_id = await started(
        stack.db,
        spec(municipality="751", schedule={"at": frozen_clock.isoformat()}),
        frozen_clock,
    )
    await sweep(stack.db, frozen_clock)
    # Some go out, then staff pause: nothing more goes until they resume.
    first = await stack.app.state.dispatcher.dispatch_once()
    assert first > 0
    await _set(stack.db, campaign_id, PAUSED)
    assert await stack.dispatch() == 0
    paused_count = len(stack.telegram.sent_messages()) + len(stack.twilio.messages)
    assert paused_count == first
    await _set(stack.db, campaign_id, RUNNING)
    clock.set(frozen_clock + timedelta(minutes=1))
    await sweep(stack.db, clock.now())
    await stack.dispatch()
    telegram = Counter(str(m["chat_id"]) for m in stack.telegram.sent_messages())
    sms = Counter(str(m["to"]) for m in stack.twilio.messages)
    assert sorted(telegram) == sorted(addresses["telegram"])
    assert sorted(sms) == sorted(addresses["sms"])
    assert set(telegram.values()) | set(sms.values()) == {1}


async def test_cancel_sends_nothing_more(stack: Stack, frozen_clock: datetime) -> None:
    await _crowd(stack.db, stack.municipality_id, frozen_clock)
    campaign_id = await started(
        stack.db,
        spec(municipality="751", schedule={"at": frozen_clock.isoformat()}),
        frozen_clock,
    )
    await sweep(stack.db, frozen_clock)
    first = await stack.app.state.dispatcher.dispatch_once()
    await _set(stack.db, campaign_id, CANCELLED)
    clock.set(frozen_clock + timedelta(minutes=1))
    await sweep(stack.db, clock.now())
    assert await stack.dispatch() == 0
    assert len(stack.telegram.sent_messages()) + len(stack.twilio.messages) == first
    statuses = Counter(d.status for d in await deliveries(stack.db, campaign_id))
    assert statuses[QUEUED] == first


async def _set(db: Database, campaign_id: int, status: str) -> None:
    async with db.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        await service.set_status(session, campaign, status, staff=None, now=utcnow())
