"""Concurrent identical reads share one request; nothing is kept once the read is over."""

from __future__ import annotations

import asyncio

import pytest

from adapters.shared_reads import SharedReads


class Source:
    def __init__(self) -> None:
        self.reads = 0
        self.gate = asyncio.Event()
        self.failure: Exception | None = None

    async def load(self) -> tuple[int, ...]:
        self.reads += 1
        mine = self.reads
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return (mine,)


async def test_callers_waiting_together_share_one_read() -> None:
    shared: SharedReads[tuple[int, ...]] = SharedReads()
    source = Source()
    waiting = [asyncio.create_task(shared.read("checkout", source.load)) for _ in range(20)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*waiting) == [(1,)] * 20
    assert source.reads == 1


async def test_a_caller_after_the_read_reads_again_and_other_keys_read_apart() -> None:
    shared: SharedReads[tuple[int, ...]] = SharedReads()
    source = Source()
    source.gate.set()
    assert await shared.read("checkout", source.load) == (1,)
    assert await shared.read("checkout", source.load) == (2,)  # nothing kept: a fresh read
    assert await asyncio.gather(shared.read("a", source.load), shared.read("b", source.load)) == [(3,), (4,)]


async def test_a_failure_reaches_every_waiter_and_the_next_caller_tries_again() -> None:
    shared: SharedReads[tuple[int, ...]] = SharedReads()
    source = Source()
    source.failure = RuntimeError("storage is down")
    waiting = [asyncio.create_task(shared.read("checkout", source.load)) for _ in range(3)]
    await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(r) for r in results] == ["storage is down"] * 3
    source.failure = None
    assert await shared.read("checkout", source.load) == (2,)


async def test_one_caller_giving_up_does_not_cancel_the_read_of_the_others() -> None:
    shared: SharedReads[tuple[int, ...]] = SharedReads()
    source = Source()
    impatient = asyncio.create_task(shared.read("checkout", source.load))
    patient = asyncio.create_task(shared.read("checkout", source.load))
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    source.gate.set()
    assert await patient == (1,)
    assert source.reads == 1


async def test_a_caller_after_a_write_here_does_not_join_a_read_from_before_it() -> None:
    shared: SharedReads[tuple[int, ...]] = SharedReads()
    source = Source()
    before = asyncio.create_task(shared.read("checkout", source.load))
    await asyncio.sleep(0)
    with shared.writing():
        pass  # the roster changed while the first read was in flight
    after = asyncio.create_task(shared.read("checkout", source.load))
    await asyncio.sleep(0)
    source.gate.set()
    assert (await before, await after) == ((1,), (2,))
