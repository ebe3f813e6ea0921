"""The dispatcher's building blocks: lanes (in order per recipient) and the priority gate."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from bot.outbox.gate import PriorityGate
from bot.outbox.lanes import Lanes


async def test_one_key_at_a_time_in_order_and_keys_side_by_side() -> None:
    running: dict[str, int] = defaultdict(int)
    most = {"one key": 0, "all keys": 0}
    done: list[tuple[str, int]] = []

    async def work(item: tuple[str, int]) -> None:
        key, _ = item
        running[key] += 1
        most["one key"] = max(most["one key"], running[key])
        most["all keys"] = max(most["all keys"], sum(running.values()))
        try:
            await asyncio.sleep(0.001)
            if item == ("b", 1):
                raise RuntimeError("a broken row")
            done.append(item)
        finally:
            running[key] -= 1

    lanes: Lanes[tuple[str, int]] = Lanes(work, key=lambda i: i[0], order=lambda i: i[1])
    waited = [lanes.add(("a", 3))]
    await asyncio.sleep(0)  # lane a works on 3; what is added now queues behind it, in order
    waited += [lanes.add((key, n)) for n in (2, 3, 1) for key in "abc" if (key, n) != ("a", 3)]
    await asyncio.gather(*waited)
    await lanes.idle()

    assert most["one key"] == 1, "never two of one key at once"
    assert most["all keys"] == 3, "the keys went side by side"
    assert [n for key, n in done if key == "a"] == [3, 1, 2]
    assert [n for key, n in done if key == "b"] == [2, 3], "a crash stops only its item"
    assert len(lanes) == 0


async def test_stop_finishes_what_runs_and_drops_the_rest() -> None:
    started: list[int] = []

    async def work(item: int) -> None:
        started.append(item)
        await asyncio.sleep(0.01)

    lanes: Lanes[int] = Lanes(work, key=lambda _: "one", order=lambda i: i)
    waited = [lanes.add(n) for n in range(5)]
    await asyncio.sleep(0)
    await lanes.stop()
    await asyncio.gather(*waited)
    assert started == [0]


async def test_the_gate_lets_the_most_urgent_waiter_in_first() -> None:
    gate = PriorityGate(1)
    entered: list[int] = []

    async def call(priority: int) -> None:
        async with gate.slot(priority):
            entered.append(priority)
            await asyncio.sleep(0.001)

    async with gate.slot(0):  # every slot taken
        waiting = [asyncio.create_task(call(p)) for p in (2, 2, 1, 0, 2)]
        await asyncio.sleep(0.01)
        assert gate.waiting == 5
    await asyncio.gather(*waiting)
    assert entered == [0, 1, 2, 2, 2]


async def test_a_cancelled_waiter_keeps_no_slot() -> None:
    gate = PriorityGate(1)
    async with gate.slot(1):
        waiter = asyncio.create_task(gate.slot(0).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    async with asyncio.timeout(1), gate.slot(2):
        pass
