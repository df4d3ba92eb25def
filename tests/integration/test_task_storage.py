"""Tasks are kept with the incident on the in-memory store and on Azurite alike: added, reassigned, done,
settled at resolve (carried over as follow-ups or dropped), and a due task's one reminder scheduled."""

from __future__ import annotations

from datetime import timedelta

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from incident import commands
from incident import task_commands as tc
from incident.lifecycle import Status
from incident.model import Person
from services.task_timers import TASK_DUE
from tests.conftest import OUTAGE_CRITERIA

ALICE = Person(id="29:alice", name="Alice Martin")
BOB = Person(id="29:bob", name="Bob Durand", email="bob@contoso.example")


async def declared(container: Container) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Search is slow", incident_type="outage", severity="SEV4", actor=ALICE, roles={"commander": ALICE}))
    return incident.id


async def test_tasks_survive_a_round_trip_through_storage(container: Container, clock: FixedClock) -> None:
    incident_id = await declared(container)
    due = clock.now() + timedelta(hours=2)
    await container.bus.handle(tc.AddTask(incident_id, "Roll back release 42", BOB, ALICE, due_at=due))
    await container.bus.handle(tc.AddTask(incident_id, "Tell support", ALICE, ALICE))
    await container.bus.handle(tc.ReassignTask(incident_id, 2, BOB, ALICE))
    await container.bus.handle(tc.CompleteTask(incident_id, 2, BOB))
    await container.bus.drain()  # the reactions (the reminder scheduled) run after the change is stored
    stored = await container.dependencies.incidents.get(incident_id)
    first, second = stored.tasks
    assert (first.text, first.owner, first.due_at, first.is_open) == ("Roll back release 42", BOB, due, True)
    assert (second.owner, second.done_at) == (BOB, clock.now())
    due_items = [i for i in await container.dependencies.due_work.due(due, 500) if i.kind == TASK_DUE]
    assert [(i.due_at, i.subject) for i in due_items] == [(due, "task-1")]


async def test_resolving_carries_a_task_over_and_drops_another_in_one_change(container: Container,
                                                                              clock: FixedClock) -> None:
    incident_id = await declared(container)
    await container.bus.handle(tc.AddTask(incident_id, "Remove the feature flag", BOB, ALICE))
    await container.bus.handle(tc.AddTask(incident_id, "Watch the graphs", ALICE, ALICE))
    await container.bus.handle(commands.Resolve(incident_id, "Fixed", ALICE, OUTAGE_CRITERIA,
                                                tasks=((2, "drop", "flat since noon"),)))
    stored = await container.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED and stored.postmortem is None
    [follow_up] = stored.follow_ups
    assert (follow_up.title, follow_up.owner) == ("Remove the feature flag", BOB)
    assert (stored.tasks[0].follow_up, stored.tasks[1].dropped) == (1, "flat since noon")
    assert not [t for t in stored.tasks if t.is_open]
