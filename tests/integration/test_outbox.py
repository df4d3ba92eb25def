"""A crash between storing a change and telling people loses nothing, and tells nobody twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.handlers import apply_change, declare_incident
from services.outbox import OUTBOX_SWEEP
from services.reactions import REACTIONS
from services.timers import run_tick
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def build(policy: OrganisationPolicy, clock: FixedClock) -> tuple[Container, RecordingNotifier, RecordingMailer]:
    teams, mailer = RecordingNotifier(), RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=teams, mailer=mailer)
    return container, teams, mailer


def declaration() -> commands.DeclareIncident:
    return commands.DeclareIncident(title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE,
                                    roles={"commander": ALICE}, services=("checkout",))


async def test_a_declaration_stored_just_before_a_crash_is_announced_by_the_next_sweep(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    # The handler alone: the change is stored, then the process "dies" before any reaction runs.
    incident = await declare_incident(declaration(), container.dependencies)
    assert teams.calls == [] and mailer.sent == []
    due = await container.dependencies.due_work.due(T0 + timedelta(minutes=15))
    assert [i.kind for i in due if i.kind == OUTBOX_SWEEP] == [OUTBOX_SWEEP]
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    assert teams.told("declared") == [incident.id]
    assert [m.subject for m in mailer.sent].count(f"[{incident.id}] SEV1 declared: Checkout failing") == 1
    assert await container.dependencies.incidents.outbox(incident.id) == []


async def test_reactions_that_ran_before_a_crash_are_not_run_again(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    incident = await declare_incident(declaration(), container.dependencies)
    [entry] = await container.dependencies.incidents.outbox(incident.id)
    # Every reaction of the declaration but the missing-delegates warning had run when the process died.
    ran = tuple(r.__name__ for r in REACTIONS["declared"] if r.__name__ != "warn_missing_delegates")
    await container.dependencies.incidents.outbox_progress(replace(entry, done=ran))
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    assert teams.told("declared") == [] and mailer.sent == []
    assert [kind for kind, _, _ in teams.calls] == ["alert:no_delegates"]  # the one reaction left


async def test_a_change_told_normally_leaves_the_sweep_nothing_to_do(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=1)
    await container.bus.handle(commands.PostUpdate(incident.id, "Rolling back", ALICE))
    await container.bus.drain()
    assert await container.dependencies.incidents.outbox(incident.id) == []
    clock.at = T0 + timedelta(minutes=12)
    report = await run_tick(container.bus, clock.at)
    assert report.kinds[OUTBOX_SWEEP] == 1  # one sweep for both changes: same five-minute bucket
    assert teams.told("declared") == [incident.id]
    assert [events for kind, _, events in teams.calls if kind == "changed"].count(("update_posted",)) == 1
    subjects = [m.subject for m in mailer.sent]
    assert subjects.count(f"[{incident.id}] SEV1 declared: Checkout failing") == 1
    assert subjects.count(f"[{incident.id}] SEV1 status update: Checkout failing") == 1


async def test_an_update_stored_just_before_a_crash_reaches_stakeholders_once(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, _, mailer = build(policy, clock)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()
    sent = len(mailer.sent)
    await apply_change(commands.PostUpdate(incident.id, "Rolled back to 41", ALICE), container.dependencies)
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    clock.at = T0 + timedelta(minutes=30)
    await run_tick(container.bus, clock.at)
    updates = [m for m in mailer.sent[sent:] if "status update" in m.subject]
    assert len(updates) == 1 and "Rolled back to 41" in updates[0].text
