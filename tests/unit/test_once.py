"""The exactly-once helper (services/once.py) on the in-memory idempotency store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryIdempotencyStore
from incident.errors import NotificationFailed
from services.once import once

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def test_the_first_caller_acts_and_the_key_is_completed_with_its_result() -> None:
    store = MemoryIdempotencyStore()
    async with once(store, "k", T0, LEASE) as claim:
        assert claim.owned
        claim.result = "INC-1"
    record = await store.find("k")
    assert record is not None and record.result == "INC-1"


async def test_a_second_caller_does_not_act_and_sees_the_first_result() -> None:
    store = MemoryIdempotencyStore()
    async with once(store, "k", T0, LEASE) as first:
        first.result = "sent"
    acted = []
    async with once(store, "k", T0 + timedelta(minutes=1), LEASE) as second:
        if second.owned:
            acted.append("again")
    assert acted == [] and second.record.done and second.record.result == "sent"


async def test_a_caller_during_the_act_sees_it_in_progress() -> None:
    store = MemoryIdempotencyStore()
    async with once(store, "k", T0, LEASE) as first:
        assert first.owned
        async with once(store, "k", T0, LEASE) as second:
            assert not second.owned and not second.record.done


async def test_a_failed_act_releases_the_key_so_a_retry_acts() -> None:
    store = MemoryIdempotencyStore()
    with pytest.raises(NotificationFailed):
        async with once(store, "k", T0, LEASE):
            raise NotificationFailed("the mail server is down")
    assert await store.find("k") is None
    async with once(store, "k", T0, LEASE) as retry:
        assert retry.owned


async def test_a_failure_not_named_in_release_on_leaves_the_claim_to_its_lease() -> None:
    store = MemoryIdempotencyStore()
    with pytest.raises(KeyError):
        async with once(store, "k", T0, LEASE, release_on=(NotificationFailed,)):
            raise KeyError("a bug")
    async with once(store, "k", T0 + timedelta(minutes=1), LEASE) as soon:
        assert not soon.owned
    async with once(store, "k", T0 + LEASE + timedelta(seconds=1), LEASE) as after_the_lease:
        assert after_the_lease.owned


async def test_an_early_completion_stands_when_the_rest_of_the_act_fails() -> None:
    store = MemoryIdempotencyStore()

    async def declare() -> None:
        async with once(store, "k", T0, LEASE) as claim:
            await claim.complete("INC-7")
            raise NotificationFailed("storing the incident failed")

    with pytest.raises(NotificationFailed):
        await declare()
    record = await store.find("k")
    assert record is not None and record.result == "INC-7"


async def test_an_act_marked_irrevocable_is_not_released_on_a_later_failure() -> None:
    store = MemoryIdempotencyStore()

    async def answer() -> None:
        async with once(store, "k", T0, LEASE) as claim:
            claim.acted()
            raise NotificationFailed("the answer could not be sent")

    with pytest.raises(NotificationFailed):
        await answer()
    record = await store.find("k")
    assert record is not None and not record.done


async def test_an_act_that_did_nothing_releases_the_key_instead_of_completing_it() -> None:
    store = MemoryIdempotencyStore()
    async with once(store, "k", T0, LEASE) as claim:
        claim.release_instead()
    assert await store.find("k") is None


async def test_an_empty_key_claims_nothing_and_acts_every_time() -> None:
    store = MemoryIdempotencyStore()
    for _ in range(2):
        async with once(store, "", T0, LEASE) as claim:
            assert claim.owned
    assert await store.find("") is None
