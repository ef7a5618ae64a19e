"""The per-host connection cap: order, shrinking on refusal, growing back, cancellation."""

from __future__ import annotations

import asyncio

from fastprobe.engine.limits import HostGate


async def _hold(gate: HostGate, name: str, log: list[str], release: asyncio.Event) -> None:
    async with gate:
        log.append(name)
        await release.wait()


def test_waiters_get_their_turn_in_order() -> None:
    async def run() -> list[str]:
        gate = HostGate(2, asyncio.Semaphore(100))
        log: list[str] = []
        releases = {n: asyncio.Event() for n in "abcde"}
        tasks = [asyncio.ensure_future(_hold(gate, n, log, releases[n])) for n in "abcde"]
        await asyncio.sleep(0.01)
        assert log == ["a", "b"] and gate.active == 2
        for n in "abcde":
            releases[n].set()
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)
        assert gate.active == 0
        return log

    assert asyncio.run(run()) == list("abcde")


def test_refusal_shrinks_the_cap_to_what_the_host_held_and_it_grows_back() -> None:
    async def run() -> None:
        gate = HostGate(8, asyncio.Semaphore(100))
        for _ in range(3):
            gate.opened()
        gate.refused()
        assert gate.limit == 3
        for _ in range(3):
            gate.closed()
        gate.refused()  # nothing open: the cap never drops below one
        assert gate.limit == 1
        for _ in range(1 + 2 + 3):  # one accepted connection per slot grows it by one
            gate.opened()
            gate.closed()
        assert gate.limit == 4
        for _ in range(100):
            gate.opened()
            gate.closed()
        assert gate.limit == 8  # never past the configured cap

    asyncio.run(run())


def test_growing_the_cap_lets_a_waiter_in() -> None:
    async def run() -> None:
        gate = HostGate(4, asyncio.Semaphore(100))
        gate.refused()
        assert gate.limit == 1
        log: list[str] = []
        first, second = asyncio.Event(), asyncio.Event()
        t1 = asyncio.ensure_future(_hold(gate, "a", log, first))
        t2 = asyncio.ensure_future(_hold(gate, "b", log, second))
        await asyncio.sleep(0.01)
        assert log == ["a"]
        gate.opened()  # "a" was accepted: room for one more
        await asyncio.sleep(0.01)
        assert log == ["a", "b"] and gate.active == 2
        first.set()
        second.set()
        await asyncio.gather(t1, t2)

    asyncio.run(run())


def test_a_cancelled_waiter_passes_its_turn_on() -> None:
    async def run() -> None:
        gate = HostGate(1, asyncio.Semaphore(100))
        log: list[str] = []
        events = {n: asyncio.Event() for n in "abc"}
        ta = asyncio.ensure_future(_hold(gate, "a", log, events["a"]))
        await asyncio.sleep(0.01)
        tb = asyncio.ensure_future(_hold(gate, "b", log, events["b"]))
        tc = asyncio.ensure_future(_hold(gate, "c", log, events["c"]))
        await asyncio.sleep(0.01)
        events["a"].set()
        await asyncio.sleep(0)  # "a" leaves and hands its slot to "b"...
        assert ta.done() and not tb.done()
        tb.cancel()  # ...which is cancelled before it runs: "c" must get the slot
        events["c"].set()
        await asyncio.wait_for(tc, 2)
        assert log == ["a", "c"] and gate.active == 0

    asyncio.run(run())


def test_the_global_cap_is_shared() -> None:
    async def run() -> None:
        glob = asyncio.Semaphore(1)
        g1, g2 = HostGate(4, glob), HostGate(4, glob)
        log: list[str] = []
        ev1, ev2 = asyncio.Event(), asyncio.Event()
        t1 = asyncio.ensure_future(_hold(g1, "one", log, ev1))
        t2 = asyncio.ensure_future(_hold(g2, "two", log, ev2))
        await asyncio.sleep(0.01)
        assert log == ["one"]
        ev1.set()
        ev2.set()
        await asyncio.gather(t1, t2)
        assert log == ["one", "two"]

    asyncio.run(run())
