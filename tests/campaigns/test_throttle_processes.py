"""A campaign throttled to N a second, sent by two `indgang worker` processes on PostgreSQL.

Both workers dispatch (one of them also leads the sweep that queues the campaign); the
fake Telegram server, in a thread of this test, notes when each message arrives. In no
one-second window may more than N arrive, and every recipient gets exactly one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import time
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.database import Database
from bot.migrate import upgrade
from bot.municipalities.models import Municipality
from tests.campaigns.world import crowd, spec, started
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.fixtures.processes import ServiceProcess, environment, wait_until
from tests.fixtures.stack import BOT_ID, SMS_NUMBER
from tests.outbox.test_pace_slots import most_in_one_second
from tests.world import service_town

RATE = 20  # the campaign's throttle, sends a second
RECIPIENTS = 150  # half on Telegram, half by SMS: about eleven seconds at that rate and margin
LEFT_OUT = {"opted_out": 1, "in_handoff": 1}  # the campaign must pass them by
STARTUP = 300.0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_worker_processes_keep_a_campaigns_throttle(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        now = utcnow()
        town = await service_town(db, sms_number=SMS_NUMBER, telegram_bot=BOT_ID)
        async with db.session() as session:
            place = await session.get(Municipality, town.town_id)
            assert place is not None
            place.quiet_start = place.quiet_end = time(0, 0)  # whenever it runs: no quiet
            session.add(place)
        addresses = await crowd(db, town.town_id, now, RECIPIENTS // 2, LEFT_OUT)
        with FakeTelegram.start_in_thread() as telegram, FakeTwilio.start_in_thread() as twilio:
            env = environment(
                database_url,
                telegram,
                twilio,
                CAMPAIGN_SWEEP_SECONDS="1",
                # Only the campaign's throttle binds: the channels' own limits are far above.
                SEND_RATES='{"telegram": 1000, "sms": 1000}',
                # Half of it is the way from a worker to the fake server's clock, which on a
                # busy CI machine (this test's event loop, the server threads, the suite's
                # other processes) is far longer than the 25 ms the default leaves.
                SEND_PACE_MARGIN="0.5",
            )
            workers = [ServiceProcess(env, tmp_path, "worker", name=f"worker{i}") for i in range(2)]
            try:
                for worker in workers:
                    await worker.start()

                async def ready() -> bool:
                    return all(w.logged("dispatcher.started") for w in workers)

                await wait_until(ready, STARTUP, "both workers", workers)
                await started(
                    db,
                    spec(
                        name="Throttled",
                        municipality="751",
                        audience={"status": ["active"]},
                        schedule={"at": utcnow().isoformat()},
                        per_second=RATE,
                    ),
                    utcnow(),
                )

                async def everyone() -> bool:
                    sends = telegram.calls_to("sendMessage") + twilio.messages
                    return len(sends) >= RECIPIENTS

                await wait_until(everyone, STARTUP, "every recipient's message", workers)
                await asyncio.sleep(1)  # anything still to come would come now
                senders = Counter(
                    "sent" if w.logged('"dispatcher.sent"') else "idle" for w in workers
                )
            finally:
                await asyncio.gather(*(w.stop() for w in workers))
        telegram_calls = [c for c in telegram.calls_to("sendMessage") if c.status == 200]
        received = Counter(str(c.params["chat_id"]) for c in telegram_calls)
        received.update(str(m["to"]) for m in twilio.messages)
        assert received == Counter(addresses["telegram"] + addresses["sms"])
        moments = [c.received_at for c in telegram_calls] + [
            c.received_at for c in twilio.calls if c.status == 201
        ]
        most = most_in_one_second(moments)
        print(
            f"\n[throttle] {len(moments)} sends by two workers ({dict(senders)}); "
            f"at most {most} in any second (limit {RATE})"
        )
        assert most <= RATE
    finally:
        await db.dispose()
