"""Plan and send a 100,000-recipient campaign against the fake providers, throttle off.

Prints recipients per second for each step, each beside a reference measured in the same
run on the same database, and the ratio between them:

- planning (`plan_campaign`: the audience in pages, one delivery row each) against a plain
  read of the audience's ids and a bulk insert of as many delivery rows;
- sending (`send_due`: deliveries become message and outbox rows through the engine) against
  a plain bulk insert of as many message and outbox rows;
- dispatching a sample to the fake Telegram and Twilio servers (the real channels, pacing
  off) against the bare channels sending as many, 50 at a time.

Planning's peak memory is traced (tracemalloc) in a second, identical planning run, so the
timed run carries no tracing cost; the target is 100,000 planned in under 5 s, under 150 MB.

    .venv/bin/python bench/bench_campaign.py [--recipients 100000] [--dispatch 5000] [--quick]
        [--plan-only]

`--plan-only` stops after planning (the same timed and traced runs and reference): the
sending and dispatch steps take many times longer and do not change the planning figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import delete, func, insert, select, update
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.models  # noqa: F401
from bench.databases import on_each_database
from bench.rows import plain_insert
from bot.campaigns.models import CANCELLED, PLANNED, RUNNING, Campaign, CampaignDelivery
from bot.campaigns.planning import plan_campaign
from bot.campaigns.sending import send_due
from bot.campaigns.spec import CampaignSpec
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import OutboxItem
from bot.people.models import ChannelIdentity, YoungPerson
from bot.settings import CampaignSettings, Settings
from bot.wiring import build_engine
from channels.base import Outbound
from channels.sms.channel import SmsChannel
from channels.telegram.channel import TelegramChannel
from tests.fakes.telegram_api import TEST_TOKEN, FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
TEXT = "Hej {first_name}. Husk at søge ind på en uddannelse inden fredag."


class NoPacing:
    """The throttle off: every send may go at once."""

    async def wait(self, key: str, per_second: float, **_: Any) -> None:
        return None

    async def hold(self, key: str, seconds: float) -> None:
        return None


async def seed(db: Database, total: int) -> None:
    """One municipality without quiet hours; `total` young people, half on each channel."""
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.execute(
            insert(Municipality),
            [
                {
                    "id": 1,
                    "name": "Bench",
                    "code": "bench",
                    "timezone": "Europe/Copenhagen",
                    "quiet_start": clock_time(0, 0),
                    "quiet_end": clock_time(0, 0),
                }
            ],
        )
        for start in range(1, total + 1, 10_000):
            ids = range(start, min(start + 10_000, total + 1))
            await conn.execute(
                insert(YoungPerson),
                [
                    {"id": i, "municipality_id": 1, "first_name": f"U{i}", "language": "da"}
                    for i in ids
                ],
            )
            await conn.execute(
                insert(ChannelIdentity),
                [
                    {
                        "id": i,
                        "young_person_id": i,
                        "channel": "telegram" if i % 2 else "sms",
                        "address": str(7_000_000 + i) if i % 2 else f"+4530{100_000 + i:06d}",
                        "verified": True,
                    }
                    for i in ids
                ],
            )


async def new_campaign(db: Database) -> Campaign:
    """A running one-off campaign to everyone active, due now."""
    spec = CampaignSpec.model_validate(
        {
            "name": "Bench",
            "audience": {"status": ["active"]},
            "text": {"da": TEXT},
            "schedule": {"at": NOW.isoformat()},
            "per_second": 100,
        }
    )
    async with db.session() as session:
        campaign = Campaign(
            municipality_id=1,
            name=spec.name,
            spec=spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            status=RUNNING,
            created_at=NOW,
            started_at=NOW,
        )
        session.add(campaign)
    return campaign


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    """Seconds `work` took."""
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def plan_reference(db: Database, campaign_id: int) -> float:
    """A plain read of the audience's ids, then a bulk insert of a delivery row each."""
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        ids = list(
            (await conn.execute(select(YoungPerson.id).where(YoungPerson.status == "active")))
            .scalars()
            .all()
        )
        for start in range(0, len(ids), 1000):
            await conn.execute(
                insert(CampaignDelivery),
                [
                    {
                        "campaign_id": campaign_id,
                        "young_person_id": i,
                        "occurrence": "once",
                        "arm": "A",
                        "status": PLANNED,
                        "due_at": NOW,
                        "created_at": NOW,
                    }
                    for i in ids[start : start + 1000]
                ],
            )
    return time.perf_counter() - started


async def send_reference(db: Database, total: int) -> float:
    """A plain bulk insert of `total` message and outbox rows (left cancelled, not sent)."""
    return await plain_insert(db, total, body=TEXT, now=NOW, outbox_status="cancelled")


async def dispatch(db: Database, sample: int) -> tuple[float, float]:
    """Seconds to dispatch `sample` rows to the fakes, and for the bare channels to send as
    many (50 at a time, as the dispatcher's rounds go)."""
    async with FakeTelegram.start() as telegram, FakeTwilio.start() as twilio:
        channels: dict[str, Any] = {
            "telegram": TelegramChannel(TEST_TOKEN, api_base=telegram.base_url),
            "sms": SmsChannel(
                account_sid=twilio.account_sid,
                auth_token=twilio.auth_token,
                messaging_service_sid="MG5e2d7c1a4b9f3e6d8c0a2b4f6e8d1c3a",
                api_base=twilio.base_url,
            ),
        }
        dispatcher = Dispatcher(db, channels, Settings(_env_file=None, database_url=db.url))
        dispatcher.pace = NoPacing()  # type: ignore[assignment]
        started = time.perf_counter()
        handled = 0
        while handled < sample:
            handled += await dispatcher.dispatch_once()
        seconds = time.perf_counter() - started
        sent = len(telegram.sent_messages()) + len(twilio.messages)
        assert sent == handled, (sent, handled)

        outbound = [
            Outbound(
                message_id=n,
                address=str(7_000_001 + 2 * n) if n % 2 else f"+4530{100_002 + 2 * n:06d}",
                text=TEXT,
            )
            for n in range(sample)
        ]
        started = time.perf_counter()
        for start in range(0, sample, 50):
            await asyncio.gather(
                *(
                    channels["telegram" if o.message_id % 2 else "sms"].send(o)
                    for o in outbound[start : start + 50]
                )
            )
        bare = time.perf_counter() - started
        await dispatcher.close()
    return seconds, bare


async def bench(url: str, label: str, total: int, sample: int, plan_only: bool = False) -> None:
    """Seed, plan, send, dispatch a sample; print the numbers for one database."""
    db = Database(url)
    try:
        await seed(db, total)
        timed_campaign = await new_campaign(db)
        plan_s = await timed(lambda: plan_campaign(db, timed_campaign, NOW))

        # The same planning again, traced: peak memory without slowing the timed run.
        traced_campaign = await new_campaign(db)
        tracemalloc.start()
        await plan_campaign(db, traced_campaign, NOW)
        _, plan_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        async with db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(Campaign).where(Campaign.id == traced_campaign.id).values(status=CANCELLED)
            )
            planned = (
                await session.exec(  # type: ignore[call-overload]
                    select(func.count())
                    .select_from(CampaignDelivery)
                    .where(CampaignDelivery.campaign_id == timed_campaign.id)
                )
            ).scalar_one()
        assert planned == total, planned
        reference_campaign = await new_campaign(db)
        plan_ref = await plan_reference(db, reference_campaign.id or 0)
        async with db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                delete(CampaignDelivery).where(CampaignDelivery.campaign_id != timed_campaign.id)
            )
            await session.exec(  # type: ignore[call-overload]
                update(Campaign).where(Campaign.id != timed_campaign.id).values(status=CANCELLED)
            )
        planning = (
            f"  planning   {plan_s:5.2f} s = {total / plan_s:>9,.0f}/s; peak traced memory "
            f"{plan_peak / 1e6:.1f} MB; plain read + insert {total / plan_ref:>9,.0f}/s; "
            f"ratio {plan_s / plan_ref:.1f}x"
        )
        if plan_only:
            print(f"{label}: {total:,} recipients\n{planning}")
            return

        engine = build_engine()
        settings = CampaignSettings()
        send_s = await timed(lambda: send_due(db, engine, NOW, settings=settings))
        async with db.session() as session:
            queued = (
                await session.exec(select(func.count()).select_from(OutboxItem))  # type: ignore[call-overload]
            ).scalar_one()
        assert queued == total, queued
        send_ref = await send_reference(db, total)

        dispatch_s, bare_s = await dispatch(db, sample)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{label}: {total:,} recipients\n{planning}\n"
            f"  sending    {send_s:5.2f} s = {total / send_s:>9,.0f}/s; "
            f"plain message+outbox insert {total / send_ref:>9,.0f}/s; "
            f"ratio {send_s / send_ref:.1f}x\n"
            f"  dispatch   {sample:,} in {dispatch_s:5.2f} s = {sample / dispatch_s:>9,.0f}/s "
            f"(pacing off); bare channels {sample / bare_s:>9,.0f}/s; "
            f"ratio {dispatch_s / bare_s:.1f}x\n"
            f"  process peak RSS so far {rss:.0f} MB (seeding included)"
        )
    finally:
        await db.dispose()


def main() -> None:
    """Run on SQLite, then on PostgreSQL if it answers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--dispatch", type=int, default=5_000, help="how many to dispatch")
    parser.add_argument("--quick", action="store_true", help="10,000 recipients, 1,000 sent")
    parser.add_argument(
        "--plan-only", action="store_true", help="stop after planning: no sending or dispatch"
    )
    args = parser.parse_args()
    total, sample = (10_000, 1_000) if args.quick else (args.recipients, args.dispatch)
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    on_each_database(
        "bench_campaign", lambda url, backend: bench(url, backend, total, sample, args.plan_only)
    )


if __name__ == "__main__":
    main()
