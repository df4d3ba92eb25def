"""A follow-up is filed in the tracker once: racing reactions and a crash before keeping the link file no duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import TrackerError
from incident.model import Incident
from incident.policy import OrganisationPolicy
from incident.postmortem import FollowUp, TrackerState
from services.postmortem_reactions import file_follow_ups
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA


class SlowTracker:
    """Takes a moment to answer, as a real tracker does, and counts what it was asked to file."""

    def __init__(self) -> None:
        self.filed: list[int] = []

    async def file(self, incident: Incident, follow_up: FollowUp) -> str:
        self.filed.append(follow_up.number)
        await asyncio.sleep(0.01)
        return f"https://github.com/contoso/shop/issues/{len(self.filed)}"


@pytest.fixture
async def container(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                      notifier=RecordingNotifier())
    yield built
    await built.aclose()


async def pending_follow_up(container: Container, clock: FixedClock) -> Incident:
    """A resolved incident with follow-up #1 waiting for the tracker (its filing reaction not run yet)."""
    declared = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE}))
    await container.bus.handle(commands.Resolve(declared.id, "Rolled back", ALICE, OUTAGE_CRITERIA, ""))
    stored = await container.dependencies.incidents.get(declared.id)
    stored.add_follow_up(title="Canary covers payments", owner=BOB, actor=ALICE, at=clock.now(),
                         policy=container.policy, tracked=True, due_at=clock.now() + timedelta(days=3))
    await container.dependencies.incidents.save(stored)
    return await container.dependencies.incidents.get(declared.id)


async def test_two_racing_reactions_file_the_follow_up_once(container: Container, clock: FixedClock) -> None:
    incident = await pending_follow_up(container, clock)
    tracker = SlowTracker()
    deps = replace(container.dependencies, tracker=tracker)
    await asyncio.gather(file_follow_ups(incident, (), deps), file_follow_ups(incident, (), deps))
    assert tracker.filed == [1]
    [follow_up] = (await deps.incidents.get(incident.id)).follow_ups
    assert (follow_up.tracker_state, follow_up.tracker_url) == (
        TrackerState.FILED, "https://github.com/contoso/shop/issues/1")


async def test_a_retry_after_a_crash_keeps_the_link_filed_before_instead_of_filing_again(
        container: Container, clock: FixedClock) -> None:
    incident = await pending_follow_up(container, clock)
    tracker = SlowTracker()
    deps = replace(container.dependencies, tracker=tracker)
    key = f"tracker:{incident.id}:1"  # the claim a filing completed before crashing
    await deps.idempotency.begin(key, clock.now(), timedelta(minutes=5))
    await deps.idempotency.complete(key, "https://github.com/contoso/shop/issues/41")
    await file_follow_ups(incident, (), deps)
    assert tracker.filed == []
    [follow_up] = (await deps.incidents.get(incident.id)).follow_ups
    assert follow_up.tracker_url == "https://github.com/contoso/shop/issues/41"


async def test_a_failed_filing_is_filed_by_the_retry(container: Container, clock: FixedClock) -> None:
    incident = await pending_follow_up(container, clock)
    deps = replace(container.dependencies, tracker=BrokenTracker())
    with pytest.raises(TrackerError):
        await file_follow_ups(incident, (), deps)
    tracker = SlowTracker()
    await file_follow_ups(incident, (), replace(deps, tracker=tracker))
    assert tracker.filed == [1]


class BrokenTracker:
    async def file(self, incident: Incident, follow_up: FollowUp) -> str:
        raise TrackerError("GitHub", "HTTP 503 service unavailable", status=503)
