"""Timers under time travel, on the fakes and on Azurite: on cadence, reset by updates, snoozes,
escalation order, business hours across a daylight-saving change, racing ticks, catching up once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.model import Person
from services.ports import RosterEntry
from services.timers import run_tick
from tests.conftest import ALICE, BOB, unique_prefix

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday
CHLOE, DAVE = Person("29:chloe", "Chloe Nguyen"), Person("29:dave", "David Okafor")
DUTY = Person("29:duty-manager", "Duty manager", "duty-manager@contoso.example")


def notifier(container: Container) -> RecordingNotifier:
    told = container.teams_notifier
    assert isinstance(told, RecordingNotifier)
    return told


async def declare(container: Container, severity: str = "SEV2", **kwargs: object) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity=severity, actor=ALICE,
        roles={"commander": ALICE}, services=("checkout",), **kwargs))  # type: ignore[arg-type]
    await container.bus.drain()
    return str(incident.id)


async def tick_at(container: Container, clock: FixedClock, at: datetime) -> None:
    clock.at = at
    await run_tick(container.bus, at)


async def reminders_at(container: Container, clock: FixedClock, minutes: list[float]) -> list[float]:
    """Tick at each of ``minutes`` after T0; the minutes at which a reminder went out."""
    sent = []
    for minute in minutes:
        before = len(notifier(container).told("remind"))
        await tick_at(container, clock, T0 + timedelta(minutes=minute))
        if len(notifier(container).told("remind")) > before:
            sent.append(minute)
    return sent


async def test_reminders_come_exactly_on_the_severitys_cadence(container: Container, clock: FixedClock) -> None:
    await declare(container)  # SEV2: every 30 minutes
    assert await reminders_at(container, clock, [1, 29, 30, 31, 59, 60, 89, 90]) == [30, 60, 90]


async def test_an_update_resets_the_reminder(container: Container, clock: FixedClock) -> None:
    incident_id = await declare(container)
    clock.at = T0 + timedelta(minutes=20)
    await container.bus.handle(commands.PostUpdate(incident_id, "Rolling back", ALICE))
    await container.bus.drain()
    assert await reminders_at(container, clock, [30, 49, 50, 79, 80]) == [50, 80]


async def test_a_snooze_is_honoured(container: Container, clock: FixedClock) -> None:
    incident_id = await declare(container)
    assert await reminders_at(container, clock, [30]) == [30]
    clock.at = T0 + timedelta(minutes=31)
    await container.bus.handle(commands.SnoozeReminders(incident_id, 60, ALICE))
    await container.bus.drain()
    assert await reminders_at(container, clock, [60, 90, 91, 120, 121]) == [91, 121]


async def test_a_resolved_incident_gets_no_more_reminders(container: Container, clock: FixedClock) -> None:
    incident_id = await declare(container)
    clock.at = T0 + timedelta(minutes=10)
    await container.bus.handle(commands.Resolve(incident_id, "fixed", ALICE, override_reason="test"))
    await container.bus.drain()
    assert await reminders_at(container, clock, [30, 60, 120]) == []


async def test_escalation_walks_the_roster_then_the_contact_then_says_it_is_spent(
        container: Container, clock: FixedClock) -> None:
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB, (CHLOE, DAVE)))
    incident_id = await declare(container)  # SEV2: 15 minutes to acknowledge
    holders = []
    for minute in (14, 15, 29, 30, 45, 60, 75, 90):
        await tick_at(container, clock, T0 + timedelta(minutes=minute))
        holders.append((await container.dependencies.incidents.get(incident_id)).holder("commander"))
    names = [h.name if h else None for h in holders]
    assert names == ["Alice Martin", "Bob Durand", "Bob Durand", "Chloe Nguyen", "David Okafor", "Duty manager",
                     "Duty manager", "Duty manager"]
    assert notifier(container).told("alert:escalation_exhausted") == [incident_id]
    escalated = [c for c in notifier(container).calls if c[0] == "alert:escalated"]
    assert [people for _, _, people in escalated] == [("29:bob",), ("29:chloe",), ("29:dave",), ("29:duty-manager",)]
    timeline = await container.dependencies.incidents.timeline(incident_id)
    assert [e.after["commander"] for e in timeline if e.kind == "escalated"] == [
        "Bob Durand", "Chloe Nguyen", "David Okafor", "Duty manager"]


async def test_an_acknowledgement_stops_escalation(container: Container, clock: FixedClock) -> None:
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB, (CHLOE,)))
    incident_id = await declare(container)
    clock.at = T0 + timedelta(minutes=10)
    await container.bus.handle(commands.Acknowledge(incident_id, ALICE))
    await container.bus.drain()
    for minute in (15, 30, 45):
        await tick_at(container, clock, T0 + timedelta(minutes=minute))
    assert (await container.dependencies.incidents.get(incident_id)).holder("commander") == ALICE
    assert notifier(container).told("alert:escalated") == []


async def test_business_hours_wait_for_the_next_window_across_a_daylight_saving_change(
        container: Container, clock: FixedClock) -> None:
    # SEV3: business hours in Europe/Paris, 09:00-18:00. Friday 23 October 2026, 17:30 in Paris (CEST,
    # UTC+2); the clocks go back on Sunday 25 October, so Monday 09:00 in Paris is 08:00 UTC, not 07:00.
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB))
    declared = datetime(2026, 10, 23, 15, 30, tzinfo=UTC)
    clock.at = declared
    incident_id = await declare(container, severity="SEV3")  # an hour to acknowledge: due 18:30, closed
    for at in (datetime(2026, 10, 23, 16, 30, tzinfo=UTC), datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
               datetime(2026, 10, 26, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 7, 59, tzinfo=UTC)):
        await tick_at(container, clock, at)
        assert (await container.dependencies.incidents.get(incident_id)).holder("commander") == ALICE, at
    await tick_at(container, clock, datetime(2026, 10, 26, 8, 0, tzinfo=UTC))
    assert (await container.dependencies.incidents.get(incident_id)).holder("commander") == BOB


async def test_a_two_hour_gap_catches_up_once(container: Container, clock: FixedClock) -> None:
    await declare(container)
    assert await reminders_at(container, clock, [120]) == [120]
    assert len(notifier(container).told("remind")) == 1
    assert await reminders_at(container, clock, [121, 149, 150]) == [150]


async def acknowledged(container: Container, **kwargs: object) -> str:
    incident_id = await declare(container, **kwargs)  # type: ignore[arg-type]
    await container.bus.handle(commands.Acknowledge(incident_id, ALICE))
    await container.bus.drain()
    return incident_id


async def test_a_failed_reminder_stays_due_and_is_retried_after_backoff(container: Container,
                                                                       clock: FixedClock) -> None:
    incident_id = await acknowledged(container)
    await container.bus.handle(commands.AssignRole(incident_id, "communications_lead", BOB, ALICE))
    for step in range(4):  # the plan is done, so the status reminder is the only thing told at minute 30
        await container.bus.handle(commands.CompletePlanStep(incident_id, step, ALICE))
    await container.bus.drain()
    notifier(container).failures = 1  # the reminder at minute 30 fails; the first backoff is a minute
    assert await reminders_at(container, clock, [30, 30.5, 31, 32]) == [31]


async def test_required_roles_still_unfilled_are_raised(container: Container, clock: FixedClock) -> None:
    incident_id = await acknowledged(container, severity="SEV1")  # wants a deputy and a communications lead
    await tick_at(container, clock, T0 + timedelta(minutes=15))
    [alert] = [c for c in notifier(container).calls if c[0] == "alert:roles_unfilled"]
    assert alert[1:] == (incident_id, ("29:alice",))


async def test_an_incident_open_too_long_is_flagged_daily(container: Container, clock: FixedClock) -> None:
    incident_id = await acknowledged(container)
    for days in (6, 7, 7.5, 8):
        await tick_at(container, clock, T0 + timedelta(days=days))
    assert notifier(container).told("alert:stale") == [incident_id, incident_id]


async def test_a_failed_teams_announcement_is_retried_by_the_timer(container: Container, clock: FixedClock) -> None:
    notifier(container).failures = 1  # Teams is down when the incident is declared
    incident_id = await declare(container)
    assert notifier(container).told("declared") == []
    await tick_at(container, clock, T0 + timedelta(minutes=1))
    assert notifier(container).told("declared") == [incident_id]


@pytest.mark.azurite
async def test_two_ticks_racing_on_azurite_send_once(azurite: str, policy: object, clock: FixedClock) -> None:
    prefix = unique_prefix()
    told = RecordingNotifier()
    first, second = (Container(Settings(storage_connection_string=azurite, table_prefix=prefix), clock=clock,
                               policy=policy, notifier=told) for _ in range(2))  # type: ignore[arg-type]
    try:
        await declare(first)
        for minute in (30, 60):
            at = T0 + timedelta(minutes=minute)
            clock.at = at
            await asyncio.gather(run_tick(first.bus, at), run_tick(second.bus, at))
        assert len(told.told("remind")) == 2
    finally:
        await first.aclose()
        await second.aclose()


async def test_declaration_says_when_a_required_role_has_no_delegate(container: Container,
                                                                     clock: FixedClock) -> None:
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB, (CHLOE,)))
    incident_id = await declare(container, severity="SEV2")  # needs a commander and a communications lead
    [alert] = [c for c in notifier(container).calls if c[0] == "alert:no_delegates"]
    assert alert[1:] == (incident_id, ("29:alice",))
    await container.dependencies.roster.put(RosterEntry("*", "communications_lead", DAVE, (BOB,)))
    await declare(container, severity="SEV2")
    assert len(notifier(container).told("alert:no_delegates")) == 1  # the second one is covered


async def test_a_resolved_incident_leaves_no_due_work_behind(container: Container, clock: FixedClock) -> None:
    incident_id = await acknowledged(container)
    clock.at = T0 + timedelta(hours=1)
    await container.bus.handle(commands.Resolve(incident_id, "fixed", ALICE, override_reason="test"))
    await container.bus.drain()
    for days in (1, 7, 8):
        await tick_at(container, clock, T0 + timedelta(days=days))
    assert notifier(container).told("alert:stale") == []
    # What it still owes has clocks of its own: the postmortem (tests/unit/test_postmortem_reminders.py).
    left = await container.dependencies.due_work.due(T0 + timedelta(days=365))
    assert [i.kind for i in left if not i.kind.startswith("postmortem_")] == []



async def test_a_new_severity_brings_its_own_reminder_cadence_and_the_old_chain_stands_down(
        container: Container, clock: FixedClock) -> None:
    incident_id = await declare(container, "SEV3")  # SEV3: a reminder every 120 min; SEV1: every 30
    await container.bus.handle(commands.Acknowledge(incident_id, ALICE))
    clock.at = T0 + timedelta(minutes=2)
    await container.bus.handle(commands.ChangeSeverity(incident_id, "SEV1", ALICE, reason="EU down too"))
    await container.bus.drain()
    for minutes in (30, 60, 120):
        await tick_at(container, clock, T0 + timedelta(minutes=minutes))
    # 30 and 60 on SEV1's cadence; at 120 the SEV1 chain's item (due at 90) fires once, and SEV3's own
    # first reminder, also due then, stands down instead of starting a second chain.
    assert notifier(container).told("remind") == [incident_id] * 3


async def test_a_new_severity_restarts_the_acknowledgement_deadline_on_its_own_timeout(
        container: Container, clock: FixedClock) -> None:
    incident_id = await declare(container, "SEV3")  # SEV3: acknowledge within 60 min; SEV1: within 5
    clock.at = T0 + timedelta(minutes=2)
    await container.bus.handle(commands.ChangeSeverity(incident_id, "SEV1", ALICE, reason="EU down too"))
    await container.bus.drain()
    deadlines = [i for i in await container.dependencies.due_work.due(T0 + timedelta(minutes=7))
                 if i.kind == "ack_deadline"]
    assert [(i.due_at, i.payload["severity"]) for i in deadlines] == [(T0 + timedelta(minutes=7), "SEV1")]
    await tick_at(container, clock, T0 + timedelta(minutes=7))
    [escalated] = [e for e in await container.dependencies.incidents.timeline(incident_id) if e.kind == "escalated"]
    assert "not acknowledged within 5 min" in escalated.summary + str(dict(escalated.after))
