"""Reactions run in the background after the change is stored: in order per incident, a few at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from devopsbot.bootstrap import Container
from incident import commands
from incident.model import Incident, TimelineEvent
from services import bus as bus_module
from services.bus import REACTION_CONCURRENCY, Dependencies, MessageBus
from services.handlers import HANDLERS
from tests.conftest import ALICE


class Gauge:
    """Counts reactions running at once, each holding on until released."""

    def __init__(self) -> None:
        self.running = self.most = 0
        self.order: list[tuple[str, int]] = []
        self.release = asyncio.Event()

    async def reaction(self, incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        self.order.append((incident.id, events[0].sequence))
        await self.release.wait()
        self.running -= 1


def bus_with(container: Container, gauge: Gauge) -> MessageBus:
    reactions = {"declared": (gauge.reaction,), "update_posted": (gauge.reaction,)}
    return MessageBus(container.dependencies, HANDLERS, reactions)


async def declare(bus: MessageBus, n: int) -> Incident:
    incident: Incident = await bus.handle(commands.DeclareIncident(
        title=f"Incident {n}", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE}))
    return incident


async def test_a_burst_of_changes_is_answered_at_once_while_its_reactions_run_a_few_at_a_time(
        memory_container: Container) -> None:
    gauge = Gauge()
    bus = bus_with(memory_container, gauge)
    declared = [await declare(bus, n) for n in range(REACTION_CONCURRENCY * 3)]  # none waits for reactions
    assert len(declared) == REACTION_CONCURRENCY * 3
    await asyncio.sleep(0.01)
    assert gauge.running == REACTION_CONCURRENCY
    gauge.release.set()
    await bus.drain()
    assert gauge.most == REACTION_CONCURRENCY and len(gauge.order) == REACTION_CONCURRENCY * 3


async def test_the_reactions_of_one_incident_run_in_the_order_of_its_changes(memory_container: Container) -> None:
    gauge = Gauge()
    gauge.release.set()
    bus = bus_with(memory_container, gauge)
    incident = await declare(bus, 1)
    for n in range(5):
        await bus.handle(commands.PostUpdate(incident.id, f"update {n}", ALICE))
    await bus.drain()
    # The first update also ticks the outage plan's "Post the first status update" (event 3, same change).
    assert [sequence for _, sequence in gauge.order] == [1, 2, 4, 5, 6, 7]


async def test_reactions_wait_to_start_while_a_burst_is_being_answered(memory_container: Container) -> None:
    gauge = Gauge()
    gauge.release.set()
    bus = bus_with(memory_container, gauge)
    async with bus.answering(), bus.answering():  # two people at once
        await declare(bus, 1)
        await declare(bus, 2)
        await asyncio.sleep(0.05)
        assert gauge.order == []  # both still being answered: nothing has reacted yet
    await bus.drain()
    assert len(gauge.order) == 2


async def test_one_person_at_a_time_does_not_hold_reactions_back(memory_container: Container) -> None:
    gauge = Gauge()
    gauge.release.set()
    bus = bus_with(memory_container, gauge)
    async with bus.answering():
        await declare(bus, 1)
        await asyncio.sleep(0.05)
        assert len(gauge.order) == 1


@pytest.mark.parametrize(("bound", "count", "within"), [
    (0.05, 1, 5.0),  # requests keep coming: reactions are not starved
    # A backlog is held back once, not once per REACTION_CONCURRENCY: waiting inside a slot would hold each
    # group of four for the whole bound in turn (three bounds, 3 s).
    (1.0, REACTION_CONCURRENCY * 3, 2.5),
])
async def test_reactions_wait_for_a_burst_only_so_long(memory_container: Container, monkeypatch: pytest.MonkeyPatch,
                                                       bound: float, count: int, within: float) -> None:
    monkeypatch.setattr(bus_module, "ANSWERS_FIRST_SECONDS", bound)
    gauge = Gauge()
    gauge.release.set()
    bus = bus_with(memory_container, gauge)
    async with bus.answering(), bus.answering():  # a burst that does not end
        for n in range(count):
            await declare(bus, n)
        await asyncio.wait_for(bus.drain(), within)
    assert len(gauge.order) == count
