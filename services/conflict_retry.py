"""Retry on conflict, in one place: decide against what is stored, write guarded by its concurrency tag,
and when someone else wrote first, read again and decide again, with jittered backoff."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from incident.errors import ConcurrencyConflict
from services.telemetry_ports import STORAGE_CONFLICTS, STORAGE_CONFLICTS_EXHAUSTED, telemetry

T = TypeVar("T")
Write = Callable[[], Awaitable[None]]
# Under contention each round lets one writer win; jittered backoff spreads the others out.
CHANGE_ATTEMPTS = 40
MAX_BACKOFF_SECONDS = 0.25


async def until_stored(attempt: Callable[[], Awaitable[tuple[T, Write | None]]], exhausted: str, *,
                       attempts: int = CHANGE_ATTEMPTS) -> T:
    """``attempt`` reads and decides, returning its outcome and the guarded write (None: nothing to write).
    Only the write's ConcurrencyConflict starts another round; anything ``attempt`` raises is the answer.
    ``exhausted`` is the conflict's message when every round lost."""
    for round_number in range(attempts):
        if round_number:
            await asyncio.sleep(random.uniform(0, min(MAX_BACKOFF_SECONDS, 0.005 * 2 ** round_number)))
        outcome, write = await attempt()
        if write is None:
            return outcome
        try:
            await write()
        except ConcurrencyConflict:
            telemetry().count(STORAGE_CONFLICTS)
            continue
        return outcome
    telemetry().count(STORAGE_CONFLICTS_EXHAUSTED)
    raise ConcurrencyConflict(exhausted)
