"""The slot arithmetic of bot/outbox/limits.py: never more than N sends in any one second.

`test_random_interleavings_never_put_more_than_n_in_a_second` replays many random runs of
several processes sharing one store, with random round trips, oversleeping, stalls and clocks
that disagree, through the same `next_slot` and `on_time` the dispatcher uses.
"""

from __future__ import annotations

import heapq
import itertools
import random

import pytest

from bot.outbox.limits import (
    LocalStore,
    Pace,
    PaceTooLate,
    Reserved,
    gap_for,
    local_store,
    next_slot,
    on_time,
    recipient_key,
)


def most_in_one_second(times: list[float]) -> int:
    """The largest number of `times` inside any half-open one-second window."""
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_the_window_count_itself() -> None:
    assert most_in_one_second([]) == 0
    assert most_in_one_second([0.0, 0.5, 0.999]) == 3
    assert most_in_one_second([0.0, 0.5, 1.0, 1.5]) == 2
    assert most_in_one_second([3.0, 0.0, 0.9999, 2.0]) == 2


@pytest.mark.parametrize(("per_second", "margin"), [(1, 0.05), (3, 0.1), (30, 0.05), (7, 0.5)])
def test_n_plus_one_slots_span_more_than_a_second(per_second: int, margin: float) -> None:
    gap = gap_for(per_second, margin)
    assert gap * per_second >= 1 + margin
    assert gap * per_second < 1 + margin + per_second * 1e-6  # rounded up, by a microsecond
    slots: list[float] = []
    next_at: float | None = None
    for now in sorted(random.Random(per_second).uniform(0, 3) for _ in range(200)):
        slot, next_at = next_slot(next_at, now, gap)
        assert slot >= now
        slots.append(slot)
    assert all(b - a >= gap - 1e-9 for a, b in itertools.pairwise(slots))
    assert most_in_one_second(slots) <= per_second


def test_no_limit_is_no_gap() -> None:
    assert gap_for(0, 0.05) == 0 and gap_for(float("inf"), 0.05) == 0


def test_on_time_counts_from_when_it_asked() -> None:
    # Asked at 10, told 'in 2 s': the slot is no earlier than 12, whenever the answer came.
    assert on_time(10.0, 2.0, 12.04, 0.05)
    assert not on_time(10.0, 2.0, 12.06, 0.05)


def _simulate(seed: int) -> tuple[int, list[float], int]:
    """One random run; returns the limit, the true send times, and how many were wanted."""
    rng = random.Random(seed)
    per_second = rng.choice([1, 2, 5, 10, 30])
    margin = rng.choice([0.02, 0.05, 0.2])
    gap = gap_for(per_second, margin)
    processes = rng.randint(2, 5)
    offsets = [rng.uniform(-1000, 1000) for _ in range(processes)]  # their clocks disagree
    wanted = rng.randint(5, 60)
    # Events in true time: (time, order, kind, process, asked_at local, wait).
    events: list[tuple[float, int, str, int, float, float]] = []
    order = 0

    def push(at: float, kind: str, process: int, asked: float = 0.0, wait: float = 0.0) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, kind, process, asked, wait))

    def trip() -> float:  # a round trip's half: usually short, sometimes not
        return rng.expovariate(1 / 0.002) + (rng.uniform(0, 0.3) if rng.random() < 0.05 else 0)

    def ask(process: int, now: float) -> None:
        push(now + trip(), "store", process, asked=now + offsets[process])

    for _ in range(wanted):
        ask(rng.randrange(processes), rng.uniform(0, wanted / per_second))
    next_at: float | None = None
    sent: list[float] = []
    while events:
        now, _, kind, process, asked, wait = heapq.heappop(events)
        if kind == "store":  # the store serialises requests; its clock is true time + 7
            slot, next_at = next_slot(next_at, now + 7.0, gap)
            push(now + trip(), "answer", process, asked, slot - (now + 7.0))
        elif kind == "answer":
            oversleep = rng.expovariate(1 / 0.001)
            if rng.random() < 0.1:
                oversleep += rng.uniform(0, 0.5)  # a stalled event loop
            push(now + max(wait, 0) + oversleep, "wake", process, asked, wait)
        elif on_time(asked, wait, now + offsets[process], margin / 2):  # as Pace checks
            sent.append(now + rng.uniform(0, margin / 2))  # the way on to the provider
        else:
            ask(process, now)  # late: the slot is thrown away, ask again
    return per_second, sent, wanted


@pytest.mark.parametrize("seed", range(300))
def test_random_interleavings_never_put_more_than_n_in_a_second(seed: int) -> None:
    per_second, sent, wanted = _simulate(seed)
    assert len(sent) == wanted  # every send went, in the end
    assert most_in_one_second(sent) <= per_second, f"seed {seed}"


class FakeTime:
    """A clock that moves only when slept on; `stall` oversleeps the next sleep once."""

    def __init__(self) -> None:
        self.now = 100.0
        self.stall = 0.0
        self.sent: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.stall
        self.stall = 0.0


async def test_pace_spaces_one_key_and_keys_are_independent() -> None:
    time = FakeTime()
    pace = Pace(LocalStore(time), 0.05, clock=time, sleep=time.sleep)
    for _ in range(6):
        await pace.wait("sms:MG1", 2)
        time.sent.append(time.now)
    assert time.sent == pytest.approx([100 + n * 0.525 for n in range(6)])
    before = time.now
    await pace.wait("sms:MG2", 2)  # another sender has a pace of its own
    await pace.wait("campaign:7", 0.5)  # a rate per key: a campaign's own throttle
    assert time.now == before


async def test_a_recipient_waits_its_interval_without_holding_a_sender_slot() -> None:
    time = FakeTime()
    pace = Pace(LocalStore(time), 0.05, clock=time, sleep=time.sleep)
    chat = recipient_key("telegram:1", "4242")
    await pace.wait("telegram:1", 30, recipient=chat, interval=1.0)
    start = time.now
    await pace.wait("telegram:1", 30, recipient=chat, interval=1.0)
    assert time.now - start == pytest.approx(1.05)
    # Meanwhile the sender's slots were free for others: no jump of the sender's cursor.
    other = recipient_key("telegram:1", "777")
    before = time.now
    await pace.wait("telegram:1", 30, recipient=other, interval=1.0)
    assert time.now - before <= gap_for(30, 0.05)


async def test_a_hold_keeps_the_recipient_back() -> None:
    time = FakeTime()
    pace = Pace(LocalStore(time), 0.05, clock=time, sleep=time.sleep)
    chat = recipient_key("telegram:1", "4242")
    await pace.hold(chat, 7)
    await pace.wait("telegram:1", 30, recipient=chat, interval=1.0)
    assert time.now == pytest.approx(107)


async def test_a_late_waker_throws_its_slot_away_and_asks_again() -> None:
    time = FakeTime()
    pace = Pace(LocalStore(time), 0.05, clock=time, sleep=time.sleep)
    await pace.wait("k", 10)  # slot 100.0
    time.stall = 0.06  # the next sleep overshoots the margin
    await pace.wait("k", 10)  # slot 100.105, woke at 100.165: too late; asked again
    assert time.now == pytest.approx(100.21)  # and took the next slot
    await pace.wait("k", 10)
    assert time.now == pytest.approx(100.315)  # the slot after the one it took


async def test_a_slow_store_is_never_trusted_to_be_on_time() -> None:
    time = FakeTime()

    class SlowStore(LocalStore):
        async def reserve(
            self, key: str, gap: float, recipient: str | None, recipient_gap: float
        ) -> Reserved:
            reserved = await super().reserve(key, gap, recipient, recipient_gap)
            time.now += 0.1  # the answer's way back alone is longer than the margin
            return reserved

    pace = Pace(SlowStore(time), 0.05, clock=time, sleep=time.sleep)
    with pytest.raises(PaceTooLate):
        await pace.wait("k", 10)


def test_recipient_keys_keep_no_address_in_clear() -> None:
    key = recipient_key("sms:MG1", "+4520123456")
    assert key.startswith("sms:MG1:to:") and "20123456" not in key
    assert key == recipient_key("sms:MG1", "+4520123456") != recipient_key("sms:MG1", "+45201")


def test_the_local_store_is_one_per_database_file() -> None:
    assert local_store("sqlite+aiosqlite:///a.db") is local_store("sqlite+aiosqlite:///a.db")
    assert local_store("sqlite+aiosqlite:///a.db") is not local_store("sqlite+aiosqlite:///b.db")


def test_the_margin_must_be_above_zero() -> None:
    with pytest.raises(ValueError, match="margin"):
        Pace(LocalStore(), 0)


async def test_queueing_before_the_store_reads_its_clock_is_not_lateness() -> None:
    """A store busy with other processes' requests before it takes ours (a row lock) says
    when it began on ours: the slot it then gives is kept, however long the queue was."""
    time = FakeTime()

    class QueueingStore(LocalStore):
        async def reserve(
            self, key: str, gap: float, recipient: str | None, recipient_gap: float
        ) -> Reserved:
            time.now += 0.3  # waiting for the lock: six times the margin
            return await super().reserve(key, gap, recipient, recipient_gap)

    pace = Pace(QueueingStore(time), 0.05, clock=time, sleep=time.sleep)
    for _ in range(3):
        await pace.wait("k", 10)
        time.sent.append(time.now)
    assert time.sent == pytest.approx([100.3, 100.6, 100.9])  # each the first slot it got
