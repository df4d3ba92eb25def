"""A severity raise stored just before a crash is still told, by the outbox sweep, and told once."""

from __future__ import annotations

from datetime import timedelta

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.handlers import apply_change
from services.timers import run_tick
from tests.conftest import ALICE


async def test_a_raise_stored_just_before_a_crash_is_told_by_the_next_sweep_and_only_once(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    teams, mailer = RecordingNotifier(), RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=teams, mailer=mailer)
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    await container.bus.drain()
    declared_at = clock.now()
    clock.at = declared_at + timedelta(minutes=1)
    # The handler alone: the raise is stored, then the process "dies" before any reaction runs.
    await apply_change(commands.ChangeSeverity(incident.id, "SEV1", ALICE), container.dependencies)
    subject = f"[{incident.id}] SEV1 severity raised from SEV3: Checkout failing"
    assert teams.told("severity") == [] and subject not in [m.subject for m in mailer.sent]
    for minutes in (12, 30, 60):  # the sweep, then later ticks that must not tell it again
        clock.at = declared_at + timedelta(minutes=minutes)
        await run_tick(container.bus, clock.at)
    assert [call for call in teams.calls if call[0] == "severity"] == [("severity", incident.id, ("SEV3", "SEV1"))]
    [news] = [m for m in mailer.sent if m.subject == subject]
    assert news.to == ("leadership@contoso.example", "engineering@contoso.example")
    assert await container.dependencies.incidents.outbox(incident.id) == []
    await container.aclose()
