"""Exactly once: claim an idempotency key, act, complete it with a result; release it when the act fails.

    async with once(deps.idempotency, key, deps.clock.now(), LEASE) as claim:
        if not claim.owned:
            return claim.record.result  # another caller did it (done), or is doing it (not done)
        ...act...
        claim.result = "sent"

A body that leaves normally completes the key with ``claim.result``; a body that raises one of
``release_on`` releases it, so a retry does the work again (any other failure leaves the claim to its
lease). ``claim.complete(result)`` completes early, before work that must not undo the claim;
``claim.acted()`` says the act cannot be undone, so a later failure leaves the claim to its lease;
``claim.release_instead()`` ends an act that did nothing, so the key is released rather than completed.
An empty key claims nothing: the body runs as the owner, for callers that asked for no de-duplication.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from incident.errors import DevopsbotError
from services.ports import IdempotencyRecord, IdempotencyStore
from services.telemetry_ports import DUPLICATES_ABSORBED, duplicate_scope, telemetry

log = logging.getLogger(__name__)
DONE = "done"


@dataclass
class Claim:
    """One caller's hold on a key: ``owned`` means act; otherwise ``record`` says who did, with what result."""

    store: IdempotencyStore
    key: str
    owned: bool
    record: IdempotencyRecord
    result: str = DONE
    completed: bool = False  # completed early: nothing more is recorded on the way out
    irrevocable: bool = False  # acted: a failure from here is not released
    release_at_end: bool = False

    async def complete(self, result: str) -> None:
        """Record the result now; whatever follows in the body no longer releases the key."""
        if self.key:
            await self.store.complete(self.key, result)
        self.result, self.completed = result, True

    def acted(self) -> None:
        """What was done cannot be undone: a failure from here leaves the claim to its lease."""
        self.irrevocable = True

    def release_instead(self) -> None:
        """Nothing was done after all: release the key on the way out, so a retry does the work."""
        self.release_at_end = True


@contextlib.asynccontextmanager
async def once(store: IdempotencyStore, key: str, now: datetime, lease: timedelta, *,
               release_on: tuple[type[BaseException], ...] = (BaseException,)) -> AsyncIterator[Claim]:
    """Claim ``key`` for the body (see the module's docstring); a claim unfinished after ``lease`` is taken over."""
    if not key:
        yield Claim(store, key, True, IdempotencyRecord(key, now))
        return
    begun = await store.begin(key, now, lease)
    claim = Claim(store, key, begun.owned, begun.record)
    if not claim.owned:
        telemetry().count(DUPLICATES_ABSORBED, {"scope": duplicate_scope(key)})
        yield claim
        return
    try:
        yield claim
    except release_on:
        if not (claim.completed or claim.irrevocable):
            await _release(store, key)
        raise
    if claim.release_at_end and not claim.completed:
        await _release(store, key)
    elif not claim.completed:
        await store.complete(key, claim.result)


async def _release(store: IdempotencyStore, key: str) -> None:
    """A release that fails leaves the claim to its lease; the caller hears the act's own failure."""
    try:
        await store.release(key)
    except DevopsbotError as error:
        log.warning("could not release %s (a retry waits for its lease): %s", key, error)


async def take_slot(store: IdempotencyStore, prefix: str, slots: int, now: datetime, lease: timedelta,
                    result: str = DONE) -> bool:
    """One of ``slots`` claims named ``prefix:0`` … (a prefix naming, say, a sender and an hour): False when
    every one is taken. A cap that holds across hosts, since the idempotency store is shared."""
    for slot in range(slots):
        async with once(store, f"{prefix}:{slot}", now, lease) as claim:
            if claim.owned:
                claim.result = result
                return True
    return False
