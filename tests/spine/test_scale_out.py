"""Scale-out on PostgreSQL: two web processes and three workers, as real processes.

`indgang serve --web-only` twice and `indgang worker` three times run against one PostgreSQL;
the fake Telegram and Twilio servers run in threads of this test. 500 young people write at
once (half by SMS, half on Telegram, spread over both web processes) while 5,000 appointment
reminders are due (100 and 500 unless INDGANG_SCALE_OUT_FULL=1). Along the way one
worker that does not lead the sweeps is killed with SIGKILL, then the scheduler's leader.
Then 100 more reminders fall due, which only a scheduler that kept running (a new leader)
can send.

What must hold: every message the database holds as sent reached the fakes, and every send
at the fakes is a message the database holds; every reminder and every reply was sent; the
survivor took over the lead. The only extra sends allowed are *in doubt*: calls a killed
worker had in flight when it died. Neither provider takes an idempotency key; an SMS in doubt
is reconciled with Twilio's message list when its lease runs out (bot/outbox/doubt.py), a
Telegram message is sent again: at most what a worker can have in flight,
`INDGANG_SEND_CONCURRENCY` per channel. The count is printed (`-s`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, text, update
from sqlmodel import col, select

from bot.clock import utcnow
from bot.database import Database
from bot.migrate import upgrade
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans.models import Appointment, Plan
from bot.reminders.models import Reminder
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

# The acceptance's sizes with INDGANG_SCALE_OUT_FULL=1; fewer in the suite, where
# the shared send slots in PostgreSQL make this slow on a busy machine (bench/README.md).
FULL = os.environ.get("INDGANG_SCALE_OUT_FULL") == "1"
WRITERS = 500 if FULL else 100  # young people who write at once, half by SMS, half on Telegram
REMINDERS = 5_000 if FULL else 500  # due at the start
LATE_REMINDERS = 100  # due only after the leader is killed
CONCURRENCY = 4  # provider calls in flight per channel and worker: the in-doubt bound
LEASE_SECONDS = 4
STARTUP = 300.0  # five processes warming up at once on a shared 2-core machine
DATA = Path(__file__).resolve().parents[1] / "data"


def _environment(db_url: str, telegram: FakeTelegram, twilio: FakeTwilio) -> dict[str, str]:
    return environment(
        db_url,
        telegram,
        twilio,
        REMINDER_SWEEP_SECONDS="1",
        LEASE_SECONDS=str(LEASE_SECONDS),
        SEND_CONCURRENCY=str(CONCURRENCY),
        SEND_TIMEOUT="2",
        SEND_RATES='{"telegram": 1000, "sms": 1000}',
        # Five processes share two cores here: an event loop often wakes tens of
        # milliseconds late, and a slot is only kept when its send starts within half the
        # margin (bot/outbox/limits.py). This test is about who sends, not about the pace.
        SEND_PACE_MARGIN="1",
    )


async def _prepare(db: Database) -> dict[str, list[str]]:
    """The town; writers with an SMS number or a Telegram chat; people with a due reminder."""
    await upgrade(db)
    now = utcnow()
    town = await service_town(db, sms_number=SMS_NUMBER, telegram_bot=BOT_ID)
    people = WRITERS + REMINDERS + LATE_REMINDERS
    async with db.session() as session:
        place = await session.get(Municipality, town.town_id)
        assert place is not None
        place.quiet_start = place.quiet_end = time(0, 0)  # whenever the test runs: no quiet
        session.add(place)
        await session.flush()
        await session.exec(
            insert(YoungPerson),
            params=[
                {"municipality_id": town.town_id, "first_name": f"U{i}", "language": "da"}
                for i in range(people)
            ],
        )
        ids = list(
            (
                await session.exec(
                    select(YoungPerson.id)
                    .where(YoungPerson.municipality_id == town.town_id)
                    .order_by(col(YoungPerson.id))
                )
            ).all()
        )
        addresses: dict[str, list[str]] = {"sms": [], "telegram": []}
        identities = []
        for n, person_id in enumerate(ids):
            channel = "sms" if n % 2 == 0 else "telegram"
            address = f"+45201{n:05d}" if channel == "sms" else str(7_000_000 + n)
            if n < WRITERS:
                addresses[channel].append(address)
            identities.append(
                {
                    "young_person_id": person_id,
                    "channel": channel,
                    "address": address,
                    "verified": True,
                    "created_at": now,
                }
            )
        await session.exec(insert(ChannelIdentity), params=identities)
        reminded = ids[WRITERS:]
        await session.exec(
            insert(Plan), params=[{"young_person_id": p, "goal": "Mål"} for p in reminded]
        )
        plans = (
            await session.exec(
                select(Plan.id, Plan.young_person_id).where(col(Plan.young_person_id).in_(reminded))
            )
        ).all()
        await session.exec(
            insert(Appointment),
            params=[
                {
                    "plan_id": plan_id,
                    "starts_at": now + timedelta(hours=3),
                    "place": "Ungeindsatsen, Torvet 1",
                    "status": "planned",
                }
                for plan_id, _ in plans
            ],
        )
        meetings = (
            await session.exec(
                select(Appointment.id, Plan.young_person_id).join(
                    Plan, col(Plan.id) == Appointment.plan_id
                )
            )
        ).all()
        await session.exec(
            insert(Reminder),
            params=[
                {
                    "young_person_id": person_id,
                    "kind": "appointment",
                    "target_id": meeting_id,
                    "offset_key": "2h",
                    # The late ones wait a day: the test brings them forward after the kills.
                    "due_at": now - timedelta(minutes=1)
                    if n < REMINDERS
                    else now + timedelta(days=1),
                    "status": "pending",
                    "created_at": now,
                }
                for n, (meeting_id, person_id) in enumerate(sorted(meetings))
            ],
        )
    return addresses


async def _count(db: Database, sql: str) -> int:
    async with db.engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


def _leader(workers: list[ServiceProcess]) -> ServiceProcess | None:
    """The living worker whose log says it took the lead last."""
    for worker in workers:
        if worker.exited() or not worker.log.exists():
            continue
        events = [
            json.loads(line).get("event")
            for line in worker.log.read_text(errors="replace").splitlines()
            if line.startswith("{")
        ]
        if "scheduler.leader" in events:
            return worker
    return None


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_web_processes_and_three_workers_survive_killed_workers_and_leader(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        addresses = await _prepare(db)
        with FakeTelegram.start_in_thread() as telegram, FakeTwilio.start_in_thread() as twilio:
            env = _environment(database_url, telegram, twilio)
            ports = [free_port(), free_port()]
            webs = [
                ServiceProcess(
                    env, tmp_path, "serve", "--web-only", "--port", str(port), name=f"web{i}"
                )
                for i, port in enumerate(ports)
            ]
            workers = [ServiceProcess(env, tmp_path, "worker", name=f"worker{i}") for i in range(3)]
            everyone = webs + workers
            try:
                await _run(db, everyone, webs, workers, ports, addresses, telegram, twilio)
            finally:
                await asyncio.gather(*(p.stop() for p in everyone))
            sends = sent_per_address(telegram, twilio)
        await _check(db, sends)
    finally:
        await db.dispose()


async def _run(
    db: Database,
    everyone: list[ServiceProcess],
    webs: list[ServiceProcess],
    workers: list[ServiceProcess],
    ports: list[int],
    addresses: dict[str, list[str]],
    telegram: FakeTelegram,
    twilio: FakeTwilio,
) -> None:
    for process in everyone:
        await process.start()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    async with httpx.AsyncClient(timeout=30) as http:

        async def ready() -> bool:
            for url in urls:
                try:
                    if (await http.get(url + "/readyz")).status_code != 200:
                        return False
                except httpx.TransportError:
                    return False
            return all(w.logged("worker.started") for w in workers) and bool(_leader(workers))

        await wait_until(ready, STARTUP, "every process to start", everyone)
        expected = REMINDERS + WRITERS

        async def sent(share: float) -> bool:
            return sum(sent_per_address(telegram, twilio).values()) >= share * expected

        writing = asyncio.create_task(write_in(http, urls, addresses, twilio.auth_token))
        await wait_until(lambda: sent(0.2), STARTUP, "a fifth of the sends", everyone)
        leader = _leader(workers)
        assert leader is not None
        follower = next(w for w in workers if w is not leader)
        await follower.kill()
        living = [p for p in everyone if p is not follower]
        await wait_until(lambda: sent(0.5), STARTUP, "half of the sends", living)
        await leader.kill()
        await writing
        living.remove(leader)
        alive = [w for w in workers if w in living]
        assert len(alive) == 1

        async def led() -> bool:
            return _leader(alive) is not None

        await wait_until(led, STARTUP, "a new scheduler leader", living)
        async with db.session() as session:
            await session.exec(
                update(Reminder)
                .where(col(Reminder.status) == "pending")
                .values(due_at=utcnow() - timedelta(seconds=1))
            )

        async def finished() -> bool:
            unsent = await _count(
                db,
                "SELECT (SELECT count(*) FROM reminder WHERE status <> 'sent')"
                " + (SELECT count(*) FROM outbox WHERE status <> 'sent')",
            )
            return unsent == 0

        # One worker is left for the rest, on a machine shared with the rest of the suite.
        await wait_until(finished, 2 * STARTUP, "every reminder and reply sent", living)
        await asyncio.sleep(1)  # anything still to come would come now


async def _check(db: Database, sends: Counter[str]) -> None:
    stored = await stored_per_address(db)
    reminders = await _count(db, "SELECT count(*) FROM reminder WHERE status = 'sent'")
    assert reminders == REMINDERS + LATE_REMINDERS
    writers_answered = await _count(
        db,
        "SELECT count(DISTINCT young_person_id) FROM message WHERE direction = 'out'"
        " AND young_person_id NOT IN (SELECT young_person_id FROM reminder)",
    )
    assert writers_answered == WRITERS, "a young person who wrote got no answer"
    missing = stored - sends
    assert not missing, f"{sum(missing.values())} stored messages never reached the fakes"
    strangers = set(sends) - set(stored)
    assert not strangers, f"the fakes wrote to {len(strangers)} addresses nobody stored for"
    in_doubt = sends - stored
    duplicates = sum(in_doubt.values())
    print(
        f"\n[scale-out] {sum(stored.values())} messages from 2 web processes and 3 workers, "
        f"{len(stored)} recipients; 2 workers killed (one the leader); "
        f"{duplicates} in-doubt resends"
    )
    # In doubt are only the calls the two killed workers had in flight, per channel.
    assert duplicates <= 2 * 2 * CONCURRENCY
