"""The playbook storage contract, on the in-memory fake and on Azurite: immutable versions, guarded reviews."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from incident.errors import ConcurrencyConflict
from incident.people import Person
from incident.playbook import AuditEvent, PlaybookVersion, Review
from services.bus import Dependencies
from services.ports import PlaybookRepository

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
AUTHOR = Person("29:author", "Alex Author", "alex@contoso.example")
ANA = Person("29:ana", "Ana Lopez")


def store(deps: Dependencies) -> PlaybookRepository:
    assert deps.playbooks is not None
    return deps.playbooks


def version(number: int, text: str = "# Checkout\nOwner: Payments") -> PlaybookVersion:
    return PlaybookVersion("checkout", number, text, AUTHOR, T0, "Payments", date(2026, 11, 1))


def submitted(number: int) -> AuditEvent:
    return AuditEvent("checkout", number, "submitted", AUTHOR, T0 + timedelta(seconds=number))


async def test_a_long_version_reads_back_exactly(deps: Dependencies) -> None:
    text = "# Checkout\n" + "é – 🙂 line\n" * 9000  # past one property's size: stored in pieces
    await store(deps).add_version(version(1, text), submitted(1))
    [read] = await store(deps).versions("checkout")
    assert read.text == text and read.author == AUTHOR and read.last_tested == date(2026, 11, 1)
    assert read.reviews == () and await store(deps).versions("payments") == []


async def test_a_version_number_is_taken_once(deps: Dependencies) -> None:
    await store(deps).add_version(version(1), submitted(1))
    with pytest.raises(ConcurrencyConflict):
        await store(deps).add_version(version(1, "# Other text"), submitted(1))
    [read] = await store(deps).versions("checkout")
    assert read.text == "# Checkout\nOwner: Payments"  # the submitted version did not change
    assert len(await store(deps).audit("checkout")) == 1  # nor did its audit trail grow


async def test_reviews_are_saved_only_over_the_reviews_that_were_read(deps: Dependencies) -> None:
    await store(deps).add_version(version(1), submitted(1))
    [read] = await store(deps).versions("checkout")
    approval = AuditEvent("checkout", 1, "approved", ANA, T0 + timedelta(hours=1))
    first = replace(read, reviews=(Review(ANA, T0 + timedelta(hours=1), True),))
    outcomes = await asyncio.gather(store(deps).save_reviews(first, approval),
                                    store(deps).save_reviews(first, approval), return_exceptions=True)
    assert sum(o is None for o in outcomes) == 1
    assert any(isinstance(o, ConcurrencyConflict) for o in outcomes)
    [stored] = await store(deps).versions("checkout")
    assert stored.reviews == (Review(ANA, T0 + timedelta(hours=1), True),)
    assert [(e.kind, e.actor.id, e.version) for e in await store(deps).audit("checkout")] == [
        ("submitted", "29:author", 1), ("approved", "29:ana", 1)]
