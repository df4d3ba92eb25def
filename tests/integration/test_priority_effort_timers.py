"""A priority that tightens the effort (``[priorities.P1]``) drives the reminders once the risk assessment
sets it, through the same timer ticks as the severity's cadence (time travel with a fixed clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from incident import commands
from incident.policy import OrganisationPolicy, PriorityEffort
from services.timers import run_tick
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def policy(policy: OrganisationPolicy) -> OrganisationPolicy:
    """The shipped organisation, with P1 asking for an update every 15 minutes whatever the severity."""
    return replace(policy, priorities={"P1": PriorityEffort(update_cadence=timedelta(minutes=15))})


async def set_priority_p1(container: Container, clock: FixedClock, incident_id: str) -> None:
    """The commander assesses alone (every criterion at its worst) and keeps the severity, taking P1."""
    bus, policy = container.bus, container.dependencies.policy
    clock.at = T0 + timedelta(minutes=1)
    await bus.handle(commands.RequestAssessment(incident_id, (ALICE,), ALICE))
    clock.at = T0 + timedelta(minutes=2)
    ratings = {c.key: policy.priority.rating_max for c in policy.priority.criteria}
    await bus.handle(commands.AnswerAssessment(incident_id, 1, "Rare", "Minor", ratings, ALICE))
    clock.at = T0 + timedelta(minutes=3)
    await bus.handle(commands.DecideAssessment(incident_id, 1, False, ALICE, severity="SEV3", priority="P1",
                                               reason="every customer is affected"))
    await bus.drain()
    assert (await container.dependencies.incidents.get(incident_id)).priority == "P1"


async def test_a_p1_incident_is_reminded_on_the_p1_cadence_and_the_severitys_chain_stands_down(
        container: Container, clock: FixedClock) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE,
        roles={"commander": ALICE}, services=("checkout",)))  # SEV3: a reminder every 120 minutes
    await container.bus.handle(commands.Acknowledge(incident.id, ALICE))
    await container.bus.drain()
    await set_priority_p1(container, clock, incident.id)
    told = container.teams_notifier
    assert isinstance(told, RecordingNotifier)
    sent = []
    for minutes in (15, 30, 45, 60, 120):
        before = len(told.told("remind"))
        clock.at = T0 + timedelta(minutes=minutes)
        await run_tick(container.bus, clock.at)
        if len(told.told("remind")) > before:
            sent.append(minutes)
    # Every 15 minutes; at 120 the P1 chain's overdue item fires once, and SEV3's own first reminder, due
    # then too, stands down instead of starting a second chain.
    assert sent == [15, 30, 45, 60, 120]
    assert len(told.told("remind")) == 5
