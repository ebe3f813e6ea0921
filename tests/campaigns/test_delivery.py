"""A campaign to 2,000 young people over the fake Telegram and Twilio servers: each eligible
recipient gets exactly one message, nobody left out gets any, and the counts agree."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bot.campaigns import service
from bot.campaigns.models import CANCELLED, PAUSED, QUEUED, RUNNING, SKIPPED, Campaign
from bot.campaigns.results import progress
from bot.clock import clock, utcnow
from bot.database import Database
from tests.campaigns.world import crowd, deliveries, spec, started, sweep
from tests.fixtures.stack import Stack

PER_CHANNEL = 1000
LEFT_OUT = {"opted_out": 7, "no_channel": 5, "paused": 4, "in_handoff": 3, "unreachable": 6}


async def test_two_thousand_get_one_message_each_and_the_left_out_none(
    stack: Stack, frozen_clock: datetime
) -> None:
    addresses = await crowd(stack.db, stack.municipality_id, frozen_clock, PER_CHANNEL, LEFT_OUT)
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

    telegram, sms = _each_got_one(stack, addresses)

    rows = await deliveries(stack.db, campaign_id)
    skipped = Counter(d.skip_reason for d in rows if d.status == SKIPPED)
    assert skipped == Counter(LEFT_OUT)
    counts = await progress(stack.db, campaign_id)
    assert counts["queued"] == 0
    assert counts["sent"] + counts["delivered"] == len(telegram) + len(sms)
    assert counts["skipped"] == sum(LEFT_OUT.values())


async def queued_now(stack: Stack, now: datetime) -> tuple[dict[str, list[str]], int]:
    """The crowd, a campaign to all of it due now, and its rows queued by one sweep."""
    addresses = await crowd(stack.db, stack.municipality_id, now, PER_CHANNEL, LEFT_OUT)
    campaign_id = await started(
        stack.db, spec(municipality="751", schedule={"at": now.isoformat()}), now
    )
    await sweep(stack.db, now)
    return addresses, campaign_id


async def test_pause_takes_back_what_is_queued_and_resume_sends_it_once(
    stack: Stack, frozen_clock: datetime
) -> None:
    addresses, campaign_id = await queued_now(stack, frozen_clock)
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
    _each_got_one(stack, addresses)


async def test_cancel_sends_nothing_more(stack: Stack, frozen_clock: datetime) -> None:
    await crowd(stack.db, stack.municipality_id, frozen_clock, PER_CHANNEL, LEFT_OUT)
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


async def test_a_pause_stops_what_a_dispatcher_already_holds(
    stack: Stack, frozen_clock: datetime
) -> None:
    """The dispatcher has claimed a batch and waits for send slots when staff press pause:
    nothing more goes; on resume each recipient still gets exactly one message."""
    addresses, campaign_id = await queued_now(stack, frozen_clock)
    dispatcher = stack.app.state.dispatcher
    sent_before_pause = 3

    class PauseAfterThree:
        """Hands out send slots one at a time, as the shared pace does; staff press pause
        while the fourth waits."""

        calls = 0
        turn = asyncio.Lock()

        async def wait(self, key: str, per_second: float, **_: object) -> None:
            if not key.startswith("campaign:"):
                return
            async with self.turn:
                self.calls += 1
                if self.calls == sent_before_pause + 1:
                    await _set(stack.db, campaign_id, PAUSED)

        async def hold(self, key: str, seconds: float) -> None:
            return None

    dispatcher.pace = PauseAfterThree()
    await dispatcher.dispatch_once()
    assert len(stack.telegram.sent_messages()) + len(stack.twilio.messages) == sent_before_pause
    assert await stack.dispatch() == 0

    await _set(stack.db, campaign_id, RUNNING)
    clock.set(frozen_clock + timedelta(minutes=1))
    await sweep(stack.db, clock.now())
    await stack.dispatch()
    _each_got_one(stack, addresses)


def _each_got_one(
    stack: Stack, addresses: dict[str, list[str]]
) -> tuple[Counter[str], Counter[str]]:
    """Every reachable address got exactly one message at the fakes, and nobody else any."""
    telegram = Counter(str(m["chat_id"]) for m in stack.telegram.sent_messages())
    sms = Counter(str(m["to"]) for m in stack.twilio.messages)
    assert sorted(telegram) == sorted(addresses["telegram"])
    assert sorted(sms) == sorted(addresses["sms"])
    assert set(telegram.values()) | set(sms.values()) == {1}
    return telegram, sms
