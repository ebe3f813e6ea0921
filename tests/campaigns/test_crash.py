"""The server process is killed with SIGKILL in the middle of a campaign and started again.

The fake Telegram and Twilio servers run in threads of this test process, so they outlive the
server. The real `indgang serve` (web, dispatcher, scheduler; the campaign sweep every second)
sends a campaign to a few hundred young people on both channels; it is killed at random points
while sending, `KILLS` times, and started again until every delivery is done.

What must hold, on SQLite and PostgreSQL:

- every eligible recipient has exactly one *confirmed* message at the fakes (one whose provider
  id, Telegram's message_id or Twilio's sid, the database recorded when the send was settled):
  nothing is lost, and nothing confirmed is sent again;
- the left out have none, and their deliveries say why;
- the only other sends are *in doubt*: accepted by the provider in the moment between the
  provider's answer and the commit of `settle`, when the process died. Neither the Bot API
  nor Twilio's Messages API takes an idempotency key. Twilio lists what it holds, so an SMS
  in doubt is reconciled before it is sent again (bot/outbox/doubt.py): no SMS goes twice.
  Telegram cannot be asked, so there the row is sent again when its lease runs out: at least
  once, never lost. Their number is counted and printed per channel (run with `-s`), and
  bounded by what one process can have in flight.

INDGANG_CRASH_KILLS (default 2) and INDGANG_CRASH_SEED repeat it with more kills, or the
same kill points; each kill's point and the in-doubt sends are printed.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from datetime import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from bot.campaigns.models import QUEUED, SKIPPED
from bot.clock import utcnow
from bot.conversation.models import OUTBOUND, Message
from bot.database import Database
from bot.migrate import upgrade
from bot.municipalities.models import Municipality
from bot.outbox.models import SENT, OutboxItem
from tests.campaigns.world import crowd, deliveries, spec, started
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.fixtures.processes import ServiceProcess, environment, free_port, wait_until
from tests.fixtures.stack import BOT_ID, SMS_NUMBER
from tests.world import service_town

KILLS = int(os.environ.get("INDGANG_CRASH_KILLS", "2"))
PER_CHANNEL = 150
LEFT_OUT = {"opted_out": 3, "no_channel": 2, "paused": 2, "in_handoff": 2, "unreachable": 3}
RATE = 50  # the campaign's own throttle: about six seconds of sending to kill into
LEASE_SECONDS = 4  # a dead process's rows are taken over this long after it claimed them
BATCH = 50  # rows one dispatcher round claims: the most a process can have in flight
STARTUP = 120.0  # seconds a start (migrations, warming up the readers) may take here


def _environment(db_url: str, telegram: FakeTelegram, twilio: FakeTwilio) -> dict[str, str]:
    return environment(
        db_url,
        telegram,
        twilio,
        CAMPAIGN_SWEEP_SECONDS="1",
        LEASE_SECONDS=str(LEASE_SECONDS),
        DISPATCHER_BATCH=str(BATCH),
        # Small sweep batches: queueing goes on while the first rows are sent, so a kill may
        # also land in the middle of a sweep's transaction.
        CAMPAIGN_BATCH="40",
        # The channels' own limits out of the way: the campaign's throttle sets the pace.
        SEND_RATES='{"telegram": 1000, "sms": 1000}',
    )


def _sends(telegram: FakeTelegram, twilio: FakeTwilio) -> list[tuple[str, str]]:
    """Every send the fakes accepted: (address, provider id), in the fakes' order."""
    sent = [
        (str(call.params["chat_id"]), f"{call.params['chat_id']}:{call.result['message_id']}")
        for call in telegram.calls_to("sendMessage")
        if call.status == 200
    ]
    return sent + [(str(m["to"]), str(m["sid"])) for m in list(twilio.messages)]


async def _prepare(db: Database, now_label: str) -> tuple[int, dict[str, list[str]]]:
    """The schema by the migrations (as `serve` would), the town, the crowd, the campaign."""
    await upgrade(db)
    now = utcnow()
    town = await service_town(db, sms_number=SMS_NUMBER, telegram_bot=BOT_ID)
    async with db.session() as session:
        place = await session.get(Municipality, town.town_id)
        assert place is not None
        place.quiet_start = place.quiet_end = time(0, 0)  # whenever the test runs: no quiet
        session.add(place)
    addresses = await crowd(db, town.town_id, now, PER_CHANNEL, LEFT_OUT)
    campaign_id = await started(
        db,
        spec(
            name=f"Crash {now_label}",
            municipality="751",
            audience={"status": ["active", "paused"]},
            schedule={"at": now.isoformat()},
            per_second=RATE,
        ),
        now,
    )
    return campaign_id, addresses


async def _done(db: Database, campaign_id: int) -> bool:
    """Every delivery decided and nothing of the campaign left in the outbox."""
    async with db.engine.connect() as connection:
        waiting = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM campaign_delivery WHERE campaign_id = :c"
                    " AND status IN ('planned', 'claimed'))"
                    " + (SELECT count(*) FROM outbox WHERE status = 'pending'"
                    " AND delivery_id IS NOT NULL),"
                    " (SELECT count(*) FROM campaign_delivery WHERE campaign_id = :c)"
                ),
                {"c": campaign_id},
            )
        ).one()
    return int(waiting[0]) == 0 and int(waiting[1]) > 0


async def test_killed_mid_campaign_every_recipient_gets_one_confirmed_message(
    database_url: str, backend: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("INDGANG_CRASH_SEED", random.randrange(1_000_000)))
    draw = random.Random(seed)
    db = Database(database_url)
    try:
        campaign_id, addresses = await _prepare(db, str(seed))
        eligible = set(addresses["telegram"]) | set(addresses["sms"])
        with FakeTelegram.start_in_thread() as telegram, FakeTwilio.start_in_thread() as twilio:
            server = ServiceProcess(
                _environment(database_url, telegram, twilio),
                tmp_path,
                "serve",
                "--port",
                str(free_port()),
            )
            # Kill points: so many sends accepted, then a few milliseconds more.
            points = sorted(draw.sample(range(5, len(eligible) - 5), KILLS))
            try:
                for point in points:
                    await server.start()

                    async def reached(point: int = point) -> bool:
                        return len(_sends(telegram, twilio)) >= point

                    await wait_until(reached, STARTUP, f"{point} sends", [server])
                    await asyncio.sleep(draw.uniform(0, 0.02))
                    await server.kill()
                    assert len({a for a, _ in _sends(telegram, twilio)}) < len(eligible), (
                        "the campaign ended before the kill: nothing was tested"
                    )
                await server.start()
                await wait_until(lambda: _done(db, campaign_id), STARTUP, "the last send", [server])
                await asyncio.sleep(1)  # anything still to come would come now
            finally:
                await server.stop()
            sends = _sends(telegram, twilio)
        await _check(db, campaign_id, addresses, sends, backend, seed, points)
    finally:
        await db.dispose()


async def _check(
    db: Database,
    campaign_id: int,
    addresses: dict[str, list[str]],
    sends: list[tuple[str, str]],
    backend: str,
    seed: int,
    points: list[int],
) -> None:
    eligible = set(addresses["telegram"]) | set(addresses["sms"])
    async with db.session() as session:
        recorded = (
            await session.exec(
                select(Message.provider_id, OutboxItem.status)
                .join(OutboxItem, col(OutboxItem.message_id) == Message.id)
                .where(Message.direction == OUTBOUND, col(OutboxItem.delivery_id).is_not(None))
            )
        ).all()
    assert {status for _, status in recorded} == {SENT}
    confirmed_ids = {provider_id for provider_id, _ in recorded}
    confirmed = Counter(address for address, pid in sends if pid in confirmed_ids)
    in_doubt = Counter(address for address, pid in sends if pid not in confirmed_ids)

    assert not {a for a, _ in sends} & set(addresses["left_out"]), "a left-out got a message"
    assert {a for a, _ in sends} <= eligible
    missing = eligible - set(confirmed)
    assert not missing, f"{len(missing)} eligible recipients got no confirmed message"
    twice = {a: n for a, n in confirmed.items() if n > 1}
    assert not twice, f"confirmed messages sent twice: {twice}"
    assert len(recorded) == len(eligible)  # one message row each, no more

    rows = await deliveries(db, campaign_id)
    assert Counter(d.status for d in rows) == {
        QUEUED: len(eligible),
        SKIPPED: sum(LEFT_OUT.values()),
    }
    assert Counter(d.skip_reason for d in rows if d.status == SKIPPED) == Counter(LEFT_OUT)

    duplicates = sum(in_doubt.values())
    sms = sum(in_doubt[address] for address in addresses["sms"])
    print(
        f"\n[crash {backend}] seed {seed}: {len(points)} SIGKILLs after {points} sends; "
        f"{len(eligible)} eligible, each one confirmed message; "
        f"{duplicates} in-doubt resends (to {len(in_doubt)} recipients): "
        f"SMS {sms}, Telegram {duplicates - sms}"
    )
    assert sms == 0, "an in-doubt SMS is reconciled with Twilio, never sent again"
    # In doubt are only sends a process had in flight when it died: one round's claim.
    assert duplicates <= len(points) * BATCH
