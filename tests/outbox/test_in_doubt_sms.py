"""Fault injection: every SMS outbox row becomes exactly one message at Twilio, whatever dies.

The real dispatcher sends through the real SMS channel (twilio's client) to the fake Twilio
on loopback. Around the channel sits a fault: in each dispatcher's life one of these may
strike, at a random call —

- `before`: the process dies on its way to Twilio (the row is 'sending', nothing accepted);
- `after`: Twilio accepted the message, the process dies before recording it;
- `lost`: Twilio accepted it, but its answer never came (a timeout);
- `list-before` / `list-after`: the process dies while reconciling, before or after the list
  call came back;
- `list-fails` / `send-fails`: Twilio answers a list or a create with an error.

A death is a hang the test then cancels (`Held.cancel`, as a killed process's tasks end),
after which the dead process's leases are let run out (moved into the past, as time would)
and a new dispatcher takes over. Rows go in waves at the same few young people from a
pool of two bodies, so identical messages to one person are common: at once, at different
times and across cases; a legitimate second identical reminder must still be sent, once.

After each case: every row is sent, Twilio holds exactly one message per row (their count,
bodies per recipient, and each row's provider id naming a message of its own).
INDGANG_DOUBT_CASES (default 40) and INDGANG_DOUBT_SEED choose how many and which cases.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import utcnow
from bot.conversation.models import Message
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.models import PENDING, SENDING, SENT, OutboxItem
from bot.people.models import ChannelIdentity
from bot.settings import OutboxSettings, Settings
from channels.base import Capabilities, Choice, Outbound, Reconciled, SendResult
from channels.sms.channel import SmsChannel
from tests.fakes.twilio_api import FakeTwilio
from tests.outbox.helpers import chats, queue

CASES = int(os.environ.get("INDGANG_DOUBT_CASES", "40"))
ADDRESSES = ["+4520100001", "+4520100002", "+4520100003"]
BODIES = ["Husk dit møde i morgen kl. 10", "Hvordan går det med at søge ind?"]
SERVICE = "MG" + "a" * 32
# A wave needs a few lives when faults strike in a row; a row that never settles fails.
MAX_LIVES = 30
LIST_FAULTS = ["list-before", "list-after", "list-fails"]
FAULTS = ["before", "after", "lost", "send-fails", *LIST_FAULTS]


@dataclass
class Faulty:
    """The real SMS channel with one armed fault, struck at the `at`-th call it concerns."""

    real: SmsChannel
    fake: FakeTwilio
    fault: str | None = None
    at: int = 0
    died: asyncio.Event = field(default_factory=asyncio.Event)
    struck: Counter[str] = field(default_factory=Counter)
    adopted: int = 0

    @property
    def name(self) -> str:
        return self.real.name

    @property
    def capabilities(self) -> Capabilities:
        return self.real.capabilities

    def render(self, text: str, choices: tuple[Choice, ...]) -> str:
        return self.real.render(text, choices)

    def arm(self, fault: str | None, at: int) -> None:
        self.fault, self.at, self.died = fault, at, asyncio.Event()

    def _strikes(self, *faults: str) -> str | None:
        """The armed fault, if it is one of `faults` and its turn has come (once)."""
        if self.fault not in faults:
            return None
        if self.at > 0:
            self.at -= 1
            return None
        fault, self.fault = self.fault, None
        self.struck[fault] += 1
        return fault

    async def _die(self) -> None:
        self.died.set()
        await asyncio.Event().wait()  # until the "process" is cancelled

    async def send(self, outbound: Outbound) -> SendResult:
        fault = self._strikes("before", "after", "lost", "send-fails")
        if fault == "before":
            await self._die()
        if fault == "send-fails":
            self.fake.fail_next(503)
        result = await self.real.send(outbound)
        if fault == "after":
            await self._die()
        if fault == "lost":
            raise TimeoutError  # accepted; the answer never came
        return result

    async def reconcile(self, outbound: Outbound, since: datetime) -> Reconciled:
        fault = self._strikes("list-before", "list-after", "list-fails")
        if fault == "list-before":
            await self._die()
        if fault == "list-fails":
            self.fake.fail_next(500, listing=True)
        answer = await self.real.reconcile(outbound, since)
        if fault == "list-after":
            await self._die()
        self.adopted += bool(answer.found)
        return answer

    async def close(self) -> None:
        return None


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio.start() as server:
        yield server


async def _life(dispatcher: Dispatcher, channel: Faulty) -> bool:
    """Dispatch until nothing is due or the fault kills it; True if it died."""
    while True:
        work = asyncio.create_task(dispatcher.dispatch_once())
        death = asyncio.create_task(channel.died.wait())
        done, _ = await asyncio.wait({work, death}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        death.cancel()
        if death in done:
            work.cancel()
            dispatcher._held.cancel()  # every task of the dead process ends, writing nothing
            with suppress(asyncio.CancelledError):
                await work
            return True
        assert work in done, "a dispatcher life hung with no fault"
        if work.result() == 0:
            return False


async def _time_passes(db: Database) -> None:
    """Leases run out and retries fall due, as they would in a while."""
    past = utcnow() - timedelta(seconds=1)
    async with db.session() as session:
        await session.exec(
            update(OutboxItem)
            .where(col(OutboxItem.status).in_((PENDING, SENDING)))
            .values(lease_until=past)
        )
        await session.exec(
            update(OutboxItem).where(OutboxItem.status == PENDING).values(due_at=past)
        )


async def _in_doubt(db: Database) -> bool:
    """Whether some row waits to be reconciled."""
    async with db.session() as session:
        return (
            await session.exec(select(OutboxItem.id).where(OutboxItem.status == SENDING).limit(1))
        ).first() is not None


async def _rows(db: Database, message_ids: list[int]) -> list[tuple[OutboxItem, Message, str]]:
    async with db.session() as session:
        result = await session.exec(
            select(OutboxItem, Message, ChannelIdentity.address)
            .join(Message, col(Message.id) == OutboxItem.message_id)
            .join(ChannelIdentity, col(ChannelIdentity.id) == Message.identity_id)
            .where(col(Message.id).in_(message_ids))
        )
        return [(item, message, address) for item, message, address in result.all()]


async def test_every_sms_row_is_one_message_at_twilio_whatever_dies(
    db: Database, fake: FakeTwilio
) -> None:
    seed = int(os.environ.get("INDGANG_DOUBT_SEED", random.randrange(1_000_000)))
    draw = random.Random(seed)
    identities = await chats(db, "sms", ADDRESSES)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        outbox=OutboxSettings(send_rates={"sms": 100_000}, send_max_attempts=1000),
    )
    real = SmsChannel(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        messaging_service_sid=SERVICE,
        api_base=fake.base_url,
    )
    channel = Faulty(real, fake)
    deaths = lives = 0
    try:
        for case in range(CASES):
            first = len(fake.messages)
            message_ids: list[int] = []
            for _wave in range(draw.randint(1, 3)):
                for _row in range(draw.randint(1, 3)):
                    who = draw.sample(identities, draw.randint(1, len(identities)))
                    message_ids += await queue(db, who, draw.choice(BODIES))
                for _life_number in range(MAX_LIVES):  # this wave, through as many lives
                    fault = draw.choice(FAULTS) if draw.random() < 0.8 else None
                    at = draw.randrange(3)
                    if await _in_doubt(db) and draw.random() < 0.5:
                        fault, at = draw.choice(LIST_FAULTS), 0  # while reconciling, mostly
                    channel.arm(fault, at)
                    lives += 1
                    died = await _life(Dispatcher(db, {"sms": channel}, settings), channel)
                    deaths += died
                    rows = await _rows(db, message_ids)
                    if not died and all(item.status == SENT for item, _, _ in rows):
                        break
                    await _time_passes(db)
                else:
                    raise AssertionError(f"seed {seed}, case {case}: not sent in {MAX_LIVES} lives")
            sent = fake.messages[first:]
            where = f"seed {seed}, case {case}"
            assert all(item.status == SENT for item, _, _ in rows), where
            assert len(sent) == len(rows), f"{where}: {len(sent)} messages for {len(rows)} rows"
            assert sorted(str(m["sid"]) for m in sent) == sorted(
                str(message.provider_id) for _, message, _ in rows
            ), f"{where}: each row names a message of its own"
            assert Counter((str(m["to"]), str(m["body"])) for m in sent) == Counter(
                (address, message.body) for _, message, address in rows
            ), where
    finally:
        await real.close()
    print(
        f"\n[in-doubt sms] seed {seed}: {CASES} cases, {lives} dispatcher lives, {deaths} "
        f"killed; faults struck {dict(channel.struck)}; {channel.adopted} in-doubt rows "
        f"settled with the message Twilio already held; {len(fake.messages)} messages"
    )
    # The run tested what it claims: every fault struck, and reconciling found messages.
    assert set(channel.struck) == set(FAULTS), f"seed {seed}: {channel.struck}"
    assert channel.adopted > 0


async def test_a_row_in_doubt_that_waits_out_quiet_hours_is_still_reconciled(
    db: Database, fake: FakeTwilio
) -> None:
    [identity] = await chats(db, "sms", ADDRESSES[:1])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        outbox=OutboxSettings(send_rates={"sms": 100_000}),
    )
    real = SmsChannel(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        messaging_service_sid=SERVICE,
        api_base=fake.base_url,
    )
    channel = Faulty(real, fake)
    try:
        await _quiet(db, around=None)
        message_ids = await queue(db, [identity], BODIES[0])
        async with db.session() as session:
            await session.exec(update(OutboxItem).values(nudge=True))  # a reminder
        channel.arm("after", 0)
        assert await _life(Dispatcher(db, {"sms": channel}, settings), channel)
        assert len(fake.messages) == 1  # Twilio has it; we never recorded it
        await _quiet(db, around=utcnow())
        await _time_passes(db)
        channel.arm(None, 0)
        assert not await _life(Dispatcher(db, {"sms": channel}, settings), channel)
        [(item, _, _)] = await _rows(db, message_ids)
        assert item.status == PENDING and item.sending_at is not None, "deferred, still in doubt"
        assert fake.lists() == [], "nothing asked or sent in quiet hours"
        await _quiet(db, around=None)
        await _time_passes(db)
        channel.arm(None, 0)
        assert not await _life(Dispatcher(db, {"sms": channel}, settings), channel)
    finally:
        await real.close()
    [(item, message, _)] = await _rows(db, message_ids)
    assert item.status == SENT and item.sending_at is None
    assert [m["sid"] for m in fake.messages] == [message.provider_id]


async def _quiet(db: Database, *, around: datetime | None) -> None:
    """Quiet hours from an hour before `around` to an hour after it; None: no quiet hours."""
    async with db.session() as session:
        for town in (await session.exec(select(Municipality))).all():
            if around is None:
                town.quiet_start = town.quiet_end = time(0, 0)
            else:
                local = around.astimezone(ZoneInfo(town.timezone))
                town.quiet_start = (local - timedelta(hours=1)).time().replace(microsecond=0)
                town.quiet_end = (local + timedelta(hours=1)).time().replace(microsecond=0)
            session.add(town)
