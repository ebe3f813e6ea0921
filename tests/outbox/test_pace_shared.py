"""Pacing shared by dispatcher processes: N per second is never exceeded at the receiving end.

The acceptance test runs two dispatcher processes (real OS processes, tests/outbox/
pace_worker.py) on one PostgreSQL database and counts, at the channel, the sends inside every
one-second window. Two Dispatchers with engines of their own, in this process, are the same
thing without the start-up time, on both backends (on SQLite they share this process's
memory, the embedded default's single process).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import utcnow
from bot.database import Database
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.limits import gap_for
from bot.outbox.pace_store import DatabaseStore
from bot.outbox.service import enqueue
from bot.settings import OutboxSettings, Settings
from tests.outbox.pace_worker import TimedChannel, dispatch_all, paced_settings
from tests.outbox.test_pace_slots import most_in_one_second
from tests.support import CollectingChannel
from tests.world import channel_identity, municipality, young_person

ROOT = Path(__file__).resolve().parents[2]
MARGIN = OutboxSettings().send_pace_margin


async def recipients(db: Database, count: int) -> None:
    """`count` young people on the web channel, one message due to each."""
    async with db.session() as session:
        town = await municipality(session)
        for n in range(count):
            person = await young_person(session, town, first_name=f"Ung {n}")
            identity = await channel_identity(session, person, address=f"visitor-{n}")
            await enqueue(session, identity=identity, text=f"Besked {n}", now=utcnow())


def check_paced(sends: list[tuple[float, int]], count: int, per_second: int) -> None:
    """Every message sent once, never more than `per_second` in a second, yet not much slower."""
    assert sorted(message for _, message in sends) == list(range(1, count + 1))
    times = [moment for moment, _ in sends]
    assert most_in_one_second(times) <= per_second
    took = max(times) - min(times)
    least = (count - 1) * gap_for(per_second, MARGIN)
    assert least - MARGIN <= took < 2 * least + 2, f"{count} sends took {took:.2f} s"


async def test_two_dispatchers_with_their_own_engines_share_one_rate(db: Database) -> None:
    per_second, count = 20, 60
    await recipients(db, count)
    databases = [Database(db.url) for _ in range(2)]
    channels = [TimedChannel(), TimedChannel()]
    dispatchers = [
        Dispatcher(other, {"web": channel}, paced_settings(db.url, per_second, batch=5))
        for other, channel in zip(databases, channels, strict=True)
    ]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(dispatch_all(d.db, d) for d in dispatchers)), timeout=60
        )
    finally:
        for other in databases:
            await other.dispose()
    assert all(len(channel.sent) >= 10 for channel in channels), "both dispatchers sent"
    check_paced(channels[0].sent + channels[1].sent, count, per_second)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_dispatcher_processes_never_exceed_n_in_any_second(
    db: Database, backend: str, tmp_path: Path
) -> None:
    per_second, count = 10, 40
    await recipients(db, count)
    env = {name: value for name, value in os.environ.items() if not name.startswith("INDGANG_")}
    outs = [tmp_path / f"sends-{n}.json" for n in range(2)]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.outbox.pace_worker",
            db.url,
            str(per_second),
            "4",
            str(out),
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for out in outs
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
            assert line == b"ready\n", line
        for worker in workers:  # both start sending together
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        codes = await asyncio.wait_for(
            asyncio.gather(*(worker.communicate() for worker in workers)), timeout=120
        )
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert [worker.returncode for worker in workers] == [0, 0], codes
    sent = [[(moment, message) for moment, message in json.loads(out.read_text())] for out in outs]
    assert all(len(each) >= 8 for each in sent), f"both processes sent: {[len(s) for s in sent]}"
    check_paced(sent[0] + sent[1], count, per_second)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_table_hands_out_slots_in_order_and_keeps_recipients_apart(
    db: Database, backend: str
) -> None:
    store = DatabaseStore(db)
    waits = [(await store.reserve("sms:MG1", 0.5, None, 0.0)).wait for _ in range(3)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(0.5, abs=0.05) and waits[2] == pytest.approx(1, abs=0.05)
    other = await store.reserve("sms:MG2", 0.5, None, 0.0)
    assert other.wait == pytest.approx(0, abs=0.05)  # another sender is free

    first = await store.reserve("telegram:1", 0.05, "telegram:1:to:a", 1.05)
    assert first.taken and first.wait == pytest.approx(0, abs=0.05)
    again = await store.reserve("telegram:1", 0.05, "telegram:1:to:a", 1.05)
    assert not again.taken and again.wait == pytest.approx(1.05, abs=0.05)
    other_chat = await store.reserve("telegram:1", 0.05, "telegram:1:to:b", 1.05)
    assert other_chat.taken and other_chat.wait == pytest.approx(0.05, abs=0.05)

    await store.hold("telegram:1:to:c", 5)
    held = await store.reserve("telegram:1", 0.05, "telegram:1:to:c", 1.05)
    assert not held.taken and held.wait == pytest.approx(5, abs=0.05)

    async with db.engine.begin() as connection:
        await connection.execute(text("UPDATE send_pace SET next_at = next_at - interval '1 hour'"))
    await store._sweep()  # recipients whose time has passed go; senders stay
    async with db.engine.connect() as connection:
        left = await connection.execute(text("SELECT sender FROM send_pace ORDER BY sender"))
        assert left.scalars().all() == ["sms:MG1", "sms:MG2", "telegram:1"]


def test_a_rate_is_set_by_sender_then_by_channel_name() -> None:
    from channels.sms.channel import SmsChannel

    dispatcher = Dispatcher.__new__(Dispatcher)
    dispatcher.settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        outbox=OutboxSettings(send_rates={"sms:MG1": 50, "sms": 1}),
    )
    service = SmsChannel(account_sid="AC1", auth_token="t", messaging_service_sid="MG1")
    number = SmsChannel(account_sid="AC1", auth_token="t", from_number="+4552123456")
    assert dispatcher.limits("sms", service) == ("sms:MG1", 50, 0)
    assert dispatcher.limits("sms", number) == ("sms:+4552123456", 1, 0)
    assert dispatcher.limits("web", CollectingChannel()) == ("web", 10_000, 0)
