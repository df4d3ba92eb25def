"""Concurrent identical reads share one storage request.

Fifty people declaring at once for the same service all look up its roster and its playbook; without this
each asks storage for the same rows (bench/declaration_storm.py). A caller that arrives while the read is
in flight gets that read's answer; one arriving after it finished reads again, so nothing is cached. The
answer can be older than the caller by at most one read's duration (it may have started just before the
caller), except that a write by this process ends the sharing: a caller arriving after a write finished
here never gets a read that started before it (``writing``). Only for reads whose answers are immutable
values (shared between callers) and that guard no write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedReads(Generic[T]):
    def __init__(self) -> None:
        # Keyed by event loop too (tests and the CLI run several loops in one process, one after another), and
        # by how many writes have finished: a read in flight before a write is not joined after it.
        self._flights: dict[tuple[asyncio.AbstractEventLoop, int, Hashable], asyncio.Future[T]] = {}
        self._writes = 0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write of what these reads read: callers arriving after it start a read of their own
        (also when the write failed: it may have been stored all the same)."""
        try:
            yield
        finally:
            self._writes += 1

    async def read(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        slot = (loop, self._writes, key)
        flight = self._flights.get(slot)
        if flight is None:
            flight = asyncio.ensure_future(load())
            self._flights[slot] = flight

            def landed(done: asyncio.Future[T]) -> None:
                if self._flights.get(slot) is done:
                    del self._flights[slot]
                if not done.cancelled():
                    done.exception()  # retrieved: a failure nobody else awaited is not logged as lost

            flight.add_done_callback(landed)
        # One caller giving up (a cancelled request) does not cancel the read the others wait for.
        return await asyncio.shield(flight)
