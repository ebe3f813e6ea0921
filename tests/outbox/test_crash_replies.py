"""The all-in-one process is killed with SIGKILL while it sends 200 replies, and started again.

200 young people (half by SMS, half on Telegram) write to the real `indgang serve`; every
message is stored and answered into the outbox before the webhook returns 200. The channels
are paced slowly (`SEND_RATE` a second each), so replies are still queued when, after about
60 of them reached the fake providers, the process is killed with SIGKILL. Started again, it
must send the rest: afterwards every reply the database holds reached the fakes, nothing
reached them that the database does not hold, and the only extra sends are *in doubt* —
calls in flight at the kill, accepted by the provider but not yet recorded. Neither provider
takes an idempotency key. An SMS in doubt is reconciled with Twilio's list of messages when
its lease runs out (bot/outbox/doubt.py), so SMS gets none twice; Telegram cannot be asked,
so there the row is sent again: at most `INDGANG_SEND_CONCURRENCY` can be in flight, which
bounds them.

INDGANG_CRASH_RUNS (default 1) repeats it; each run's in-doubt count per channel is printed
(`-s`).
"""

from __future__ import annotations

import asyncio
import os
from datetime import time
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlmodel import col, select

from bot.clock import utcnow
from bot.database import Database
from bot.migrate import upgrade
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.fixtures.processes import (
    ServiceProcess,
    environment,
    free_port,
    sent_per_address,
    stored_per_address,
    wait_until,
    write_in,
)
from tests.fixtures.stack import BOT_ID, SMS_NUMBER
from tests.world import service_town

RUNS = int(os.environ.get("INDGANG_CRASH_RUNS", "1"))
WRITERS = 200
KILL_AFTER = 60
SEND_RATE = 5  # per channel and second: 200 replies take about 20 seconds
CONCURRENCY = 4
LEASE_SECONDS = 4
STARTUP = 300.0


async def _writers(db: Database, town_id: int, run: int) -> dict[str, list[str]]:
    """200 new young people with a verified address each, half of them by SMS."""
    now = utcnow()
    async with db.session() as session:
        await session.exec(
            insert(YoungPerson),
            params=[
                {"municipality_id": town_id, "first_name": f"R{run}x{n}", "language": "da"}
                for n in range(WRITERS)
            ],
        )
        ids = (
            await session.exec(
                select(YoungPerson.id)
                .where(col(YoungPerson.first_name).startswith(f"R{run}x"))
                .order_by(col(YoungPerson.id))
            )
        ).all()
        addresses: dict[str, list[str]] = {"sms": [], "telegram": []}
        rows = []
        for n, person_id in enumerate(ids):
            channel = "sms" if n % 2 == 0 else "telegram"
            number = run * WRITERS + n
            address = f"+45202{number:05d}" if channel == "sms" else str(8_000_000 + number)
            addresses[channel].append(address)
            rows.append(
                {
                    "young_person_id": person_id,
                    "channel": channel,
                    "address": address,
                    "verified": True,
                    "created_at": now,
                }
            )
        await session.exec(insert(ChannelIdentity), params=rows)
    return addresses


async def _unsent(db: Database) -> int:
    async with db.engine.connect() as connection:
        query = text("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        return int((await connection.execute(query)).scalar_one())


async def test_killed_while_sending_200_replies_every_reply_arrives_once_or_in_doubt(
    database_url: str, backend: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        town = await service_town(db, sms_number=SMS_NUMBER, telegram_bot=BOT_ID)
        async with db.session() as session:
            place = await session.get(Municipality, town.town_id)
            assert place is not None
            place.quiet_start = place.quiet_end = time(0, 0)  # replies never wait anyway
            session.add(place)
        doubts = []
        for run in range(RUNS):
            addresses = await _writers(db, town.town_id, run)
            doubts.append(await _one_run(db, database_url, tmp_path / f"run{run}", addresses, run))
        print(
            f"\n[crash replies {backend}] {RUNS} runs, each killed after about {KILL_AFTER} "
            f"of {WRITERS} replies: in-doubt resends per run, SMS "
            f"{[sms for sms, _ in doubts]}, Telegram {[tg for _, tg in doubts]}"
        )
    finally:
        await db.dispose()


async def _one_run(
    db: Database, database_url: str, workdir: Path, addresses: dict[str, list[str]], run: int
) -> tuple[int, int]:
    """One kill and restart; the in-doubt resends by SMS and on Telegram."""
    await asyncio.to_thread(workdir.mkdir)
    everyone = set(addresses["sms"]) | set(addresses["telegram"])
    with FakeTelegram.start_in_thread() as telegram, FakeTwilio.start_in_thread() as twilio:
        port = free_port()
        server = ServiceProcess(
            environment(
                database_url,
                telegram,
                twilio,
                LEASE_SECONDS=str(LEASE_SECONDS),
                SEND_CONCURRENCY=str(CONCURRENCY),
                SEND_RATES=f'{{"telegram": {SEND_RATE}, "sms": {SEND_RATE}}}',
                SEND_PACE_MARGIN="0.5",  # a busy shared machine wakes late (bot/outbox/limits)
            ),
            workdir,
            "serve",
            "--port",
            str(port),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await server.start()
            async with httpx.AsyncClient(timeout=60) as http:

                async def ready() -> bool:
                    try:
                        return (await http.get(url + "/readyz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(ready, STARTUP, "the server", [server])
                await write_in(http, [url], addresses, twilio.auth_token, first=run * WRITERS)

            async def reached() -> bool:
                return sum(sent_per_address(telegram, twilio).values()) >= KILL_AFTER

            await wait_until(reached, STARTUP, f"{KILL_AFTER} sends", [server])
            await server.kill()
            before_restart = sum(sent_per_address(telegram, twilio).values())
            assert before_restart < WRITERS, "every reply was sent before the kill"
            await server.start()

            async def finished() -> bool:
                return await _unsent(db) == 0

            await wait_until(finished, STARTUP, "every reply", [server])
            await asyncio.sleep(1)  # anything still to come would come now
        finally:
            await server.stop()
        sends = sent_per_address(telegram, twilio)
    stored = await stored_per_address(db, everyone)
    assert set(stored) == everyone, "a young person got no reply"
    missing = stored - sends
    assert not missing, f"{sum(missing.values())} stored replies never reached the fakes"
    assert set(sends) <= set(stored), "the fakes got a message nobody stored"
    extra = sends - stored
    sms = sum(extra[address] for address in addresses["sms"])
    telegram_doubts = sum(extra[address] for address in addresses["telegram"])
    assert sms == 0, f"{sms} SMS sent twice: an in-doubt SMS is reconciled, never resent"
    # In doubt on Telegram are only the calls in flight at the kill: CONCURRENCY.
    assert telegram_doubts <= CONCURRENCY, f"{telegram_doubts} resends"
    return sms, telegram_doubts
