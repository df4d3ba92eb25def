"""Postmortem and follow-up reminders through time travel: one timer tick at a given instant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident import postmortem_commands as pc
from incident.model import Incident
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.unit.postmortem_fixtures import CHLOE, T0

DAY = timedelta(days=1)


@pytest.fixture
async def container(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                      notifier=RecordingNotifier(), mailer=RecordingMailer())
    yield built
    await built.aclose()


def told(container: Container, kind: str) -> list[tuple[str, ...]]:
    """The people @mentioned in each alert of ``kind`` so far."""
    notifier = container._notifier
    assert isinstance(notifier, RecordingNotifier)
    return [people for what, _, people in notifier.calls if what == f"alert:{kind}"]


def mailed(container: Container, subject_part: str) -> list[tuple[str, ...]]:
    mailer = container.mailer
    assert isinstance(mailer, RecordingMailer)
    return [e.to for e in mailer.sent if subject_part in e.subject]


async def tick(container: Container, clock: FixedClock, at: datetime) -> None:
    clock.at = at
    await run_tick(container.bus, at)


async def resolved_sev1(container: Container) -> Incident:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE}))
    resolved = await container.bus.handle(commands.Resolve(incident.id, "Rolled back", ALICE, OUTAGE_CRITERIA))
    await container.bus.drain()
    assert isinstance(resolved, Incident)
    return resolved


async def test_the_postmortem_owner_is_reminded_the_day_before_and_daily_once_overdue(
        container: Container, clock: FixedClock) -> None:
    await resolved_sev1(container)  # at T0: due T0 + 5 days
    assert told(container, "postmortem_opened") == [(ALICE.id,)]
    await tick(container, clock, T0 + 4 * DAY - timedelta(minutes=1))
    assert told(container, "postmortem_due_soon") == []
    await tick(container, clock, T0 + 4 * DAY)
    assert told(container, "postmortem_due_soon") == [(ALICE.id,)]
    assert mailed(container, "Postmortem due soon") == [(ALICE.email,)]
    await tick(container, clock, T0 + 5 * DAY)
    await tick(container, clock, T0 + 6 * DAY)
    assert told(container, "postmortem_overdue") == [(ALICE.id,), (ALICE.id,)]


async def test_a_completed_postmortem_is_not_reminded(container: Container, clock: FixedClock) -> None:
    incident = await resolved_sev1(container)
    await container.bus.handle(pc.EditPostmortem(incident.id, ALICE, {
        "summary": "s", "impact": "i", "went_wrong": "w"}, ("a factor",)))
    await container.bus.handle(pc.AddFollowUp(incident.id, "Fix the canary", CHLOE, ALICE))
    await container.bus.handle(pc.CompletePostmortem(incident.id, ALICE))
    await tick(container, clock, T0 + 6 * DAY)
    assert told(container, "postmortem_due_soon") == told(container, "postmortem_overdue") == []


async def test_a_reopened_incident_is_not_reminded_of_its_postmortem(container: Container, clock: FixedClock) -> None:
    incident = await resolved_sev1(container)
    await container.bus.handle(commands.Reopen(incident.id, "Errors are back", ALICE))
    await tick(container, clock, T0 + 5 * DAY)
    assert told(container, "postmortem_overdue") == []


async def test_an_overdue_follow_up_goes_to_its_owner_then_after_the_grace_period_to_leadership(
        container: Container, clock: FixedClock, policy: OrganisationPolicy) -> None:
    incident = await resolved_sev1(container)
    due = T0 + 3 * DAY
    await container.bus.handle(pc.AddFollowUp(incident.id, "Fix the canary", CHLOE, ALICE, due_at=due))
    await container.bus.drain()
    await tick(container, clock, due - timedelta(minutes=1))
    assert told(container, "follow_up_overdue") == []
    await tick(container, clock, due + timedelta(seconds=1))
    assert told(container, "follow_up_overdue") == [(CHLOE.id,)]
    assert mailed(container, "Follow-up #1 is overdue") == [(CHLOE.email,)]
    await tick(container, clock, due + policy.escalation.follow_up_grace + timedelta(seconds=1))
    assert told(container, "follow_up_leadership") == [(CHLOE.id,)]
    assert mailed(container, "Follow-up #1 overdue 7 days") == [policy.escalation.leadership_emails]


async def test_a_done_follow_up_is_not_reminded(container: Container, clock: FixedClock) -> None:
    incident = await resolved_sev1(container)
    due = T0 + 3 * DAY
    await container.bus.handle(pc.AddFollowUp(incident.id, "Fix the canary", CHLOE, ALICE, due_at=due))
    await container.bus.handle(pc.CompleteFollowUp(incident.id, 1, CHLOE))
    await tick(container, clock, due + 30 * DAY)
    assert told(container, "follow_up_overdue") == told(container, "follow_up_leadership") == []


async def test_two_follow_ups_due_the_same_day_are_each_reminded(container: Container, clock: FixedClock) -> None:
    incident = await resolved_sev1(container)
    due = T0 + 3 * DAY
    await container.bus.handle(pc.AddFollowUp(incident.id, "Fix the canary", CHLOE, ALICE, due_at=due))
    await container.bus.handle(pc.AddFollowUp(incident.id, "Page on errors", ALICE, ALICE, due_at=due))
    await container.bus.drain()
    await tick(container, clock, due + timedelta(seconds=1))
    assert sorted(told(container, "follow_up_overdue")) == sorted([(CHLOE.id,), (ALICE.id,)])


async def test_a_french_incidents_postmortem_and_follow_up_reminders_are_mailed_in_french(
        container: Container, clock: FixedClock) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Paiement en panne", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE},
        language="fr"))
    await container.bus.handle(commands.Resolve(incident.id, "Retour arrière", ALICE, OUTAGE_CRITERIA))
    await container.bus.handle(pc.AddFollowUp(incident.id, "Réparer le canari", CHLOE, ALICE, due_at=T0 + 2 * DAY))
    await container.bus.drain()
    await tick(container, clock, T0 + 4 * DAY)
    mailer = container.mailer
    assert isinstance(mailer, RecordingMailer)
    [postmortem] = [e for e in mailer.sent if "Postmortem" in e.subject]
    assert postmortem.subject == "[INC-2026-0001] Postmortem à rendre bientôt"
    [follow_up] = [e for e in mailer.sent if e.to == (CHLOE.email,)]
    assert follow_up.subject == "[INC-2026-0001] Action de suivi n° 1 en retard"
    assert "le postmortem sans reproche de cet incident est à rendre le" in postmortem.text
    assert "L'action de suivi « Réparer le canari », confiée à Chloe Nguyen" in follow_up.text
    for mail in (postmortem, follow_up):
        assert '<html lang="fr">' in mail.html and "Gravité" in mail.text
        for english in ("blameless", "due on", "Write down", "follow-up", "Severity", "Latest update"):
            assert english not in mail.text and english not in mail.html
