"""Overdue response-plan steps under time travel, on the fakes and on Azurite: each owner reminded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from incident import commands
from incident.people import Person
from incident.roster import RosterEntry
from services.bus import RETRY_REACTION
from services.handlers import declare_incident
from services.ports import DueItem
from services.response_plan import PLAN_STEP_DUE
from services.timers import ACK_DEADLINE, ROLE_UNFILLED, STALE_CHECK, STATUS_REMINDER, run_tick
from tests.conftest import ALICE, BOB

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHLOE = Person("29:chloe", "Chloe Nguyen")


def overdue(container: Container) -> list[tuple[str, ...]]:
    told = container.teams_notifier
    assert isinstance(told, RecordingNotifier)
    return [people for kind, _, people in told.calls if kind == "alert:plan_step_overdue"]


async def test_each_overdue_step_reminds_its_owner_once_and_ticked_steps_stay_quiet(
        container: Container, clock: FixedClock) -> None:
    # The outage plan: take command (commander, 5 min), first status update (communications lead, 15),
    # check deployments (responder, 20), status page (communications lead, 30).
    await container.dependencies.roster.put(RosterEntry("checkout", "responder", CHLOE))
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE, "communications_lead": BOB}, services=("checkout",)))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=3)
    await container.bus.handle(commands.CompletePlanStep(incident.id, 0, ALICE))
    await container.bus.drain()
    reminded = {}
    for minute in (5, 6, 14, 15, 16, 20, 29, 30, 31, 60, 120):
        before = len(overdue(container))
        clock.at = T0 + timedelta(minutes=minute)
        await run_tick(container.bus, clock.at)
        if overdue(container)[before:]:
            reminded[minute] = overdue(container)[before:]
    # Step 1 was ticked: nothing at 5. The responder is not on the incident: the roster's holder is reminded.
    assert reminded == {15: [("29:bob",)], 20: [("29:chloe",)], 30: [("29:bob",)]}


async def test_a_step_ticked_before_its_due_time_is_not_reminded(container: Container, clock: FixedClock) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE, "communications_lead": BOB}, services=("checkout",)))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=10)
    for step in range(4):
        await container.bus.handle(commands.CompletePlanStep(incident.id, step, BOB))
    await container.bus.drain()
    for minute in (15, 20, 30, 60):
        clock.at = T0 + timedelta(minutes=minute)
        await run_tick(container.bus, clock.at)
    assert overdue(container) == []


async def test_a_resolved_incident_is_not_reminded_of_its_plan(container: Container, clock: FixedClock) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE}, services=("checkout",)))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=2)
    await container.bus.handle(commands.Resolve(incident.id, "false alarm", ALICE, override_reason="test"))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=40)
    await run_tick(container.bus, clock.at)
    assert overdue(container) == []


async def test_a_retry_stored_under_the_plan_steps_former_reaction_name_still_schedules_them(
        container: Container, clock: FixedClock) -> None:
    # Before the plan's steps joined the first deadlines' transaction they had a reaction of their own; a retry
    # of it stored then (storage failed during the reactions) schedules the steps, and only them: the first
    # deadlines were scheduled by their own reaction and may have fired since.
    incident = await declare_incident(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE}, services=("checkout",)), container.dependencies)
    [declared] = await container.dependencies.incidents.timeline(incident.id)
    await container.dependencies.due_work.schedule(DueItem(  # the only due work: no reaction ran
        RETRY_REACTION, incident.id, T0 + timedelta(minutes=1),
        {"reaction": "schedule_plan_steps", "events": str(declared.sequence)}, subject="schedule_plan_steps"))
    clock.at = T0 + timedelta(minutes=1)
    await run_tick(container.bus, clock.at)
    due = await container.dependencies.due_work.due(T0 + timedelta(days=1))
    assert [i.payload["steps"] for i in due if i.kind == PLAN_STEP_DUE] == ["0", "1", "2", "3"]
    assert [i.kind for i in due if i.kind in (ACK_DEADLINE, STATUS_REMINDER, ROLE_UNFILLED, STALE_CHECK)] == []
