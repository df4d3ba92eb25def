"""Several alerts of one timer item, Teams down: each is mailed to its person once, none is lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy, PlanStep, ResponsePlan
from services.timers import run_tick
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STEPS = ("Take command", "Open the bridge")


def two_steps_due_together(policy: OrganisationPolicy) -> OrganisationPolicy:
    outage = policy.incident_type("outage")
    plan = ResponsePlan(tuple(PlanStep(title, "commander", timedelta(minutes=5)) for title in STEPS),
                        outage.response_plan.communication)
    types = tuple(replace(t, response_plan=plan) if t.key == "outage" else t for t in policy.incident_types)
    return replace(policy, incident_types=types)


async def test_two_plan_steps_due_together_are_both_mailed_once_while_teams_is_down(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    teams, mailer = RecordingNotifier(), RecordingMailer()
    teams.failures = 10**6  # Teams is down for the whole test
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=two_steps_due_together(policy), notifier=teams, mailer=mailer)
    await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    await container.bus.drain()
    for minute in (5, 7, 10, 20, 40):  # the step item, then its retries after Teams failed again
        clock.at = T0 + timedelta(minutes=minute)
        await run_tick(container.bus, clock.at)
    reminders = [m.text for m in mailer.sent if m.to == (ALICE.email,) and "response plan step" in m.text]
    assert sorted(next(s for s in STEPS if f'"{s}"' in text) for text in reminders) == sorted(STEPS)


async def test_a_french_incidents_alert_mail_says_its_sentence_in_french(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    teams, mailer = RecordingNotifier(), RecordingMailer()
    teams.failures = 10**6
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=two_steps_due_together(policy), notifier=teams, mailer=mailer)
    await container.bus.handle(commands.DeclareIncident(
        title="Paiement en panne", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",), language="fr"))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=5)
    await run_tick(container.bus, clock.at)
    steps = [m for m in mailer.sent if m.to == (ALICE.email,) and "du plan de réponse" in m.text]
    assert steps and all("demande votre attention" in m.subject for m in steps)
    assert any("L'étape « Take command » du plan de réponse" in m.text for m in steps)
    assert [m for m in mailer.sent if "response plan step" in m.text or "needs attention" in m.subject] == []
