"""Follow-ups filed in the external tracker over its REST API, against a local HTTP double of it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident import postmortem_commands as pc
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.support.tracker import TrackerDouble, running_tracker
from tests.unit.postmortem_fixtures import CHLOE

TOKEN = "pat-secret-123"  # a test token for the local double


@pytest.fixture
async def tracker() -> AsyncIterator[TrackerDouble]:
    async with running_tracker() as double:
        yield double


def container_for(kind: str, url: str, policy: OrganisationPolicy, clock: FixedClock) -> Container:
    settings = Settings(storage_connection_string="memory", tracker_kind=kind, tracker_url=url,
                        tracker_token=TOKEN, public_url="https://devopsbot.contoso.example")
    return Container(settings, clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier(),
                     mailer=RecordingMailer())


async def follow_up_filed(container: Container) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE}))
    await container.bus.handle(commands.Resolve(incident.id, "Rolled back", ALICE, OUTAGE_CRITERIA))
    await container.bus.handle(pc.AddFollowUp(incident.id, "Canary covers card payments", CHLOE, ALICE))
    await container.bus.drain()
    return str(incident.id)


async def test_a_follow_up_becomes_an_azure_devops_bug_with_priority_1(
        tracker: TrackerDouble, policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = container_for("azure_devops", f"{tracker.url}/contoso/shop", policy, clock)
    incident_id = await follow_up_filed(container)
    [sent] = tracker.requests
    assert sent.path == "/contoso/shop/_apis/wit/workitems/$Bug"
    assert sent.query == {"api-version": "7.1"}
    assert sent.headers["Content-Type"] == "application/json-patch+json"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f":{TOKEN}".encode()).decode()
    fields = {op["path"]: op["value"] for op in sent.body if op["op"] == "add"}
    assert fields["/fields/System.Title"] == f"[{incident_id}] Canary covers card payments"
    assert fields["/fields/Microsoft.VSTS.Common.Priority"] == 1
    assert fields["/fields/System.AssignedTo"] == CHLOE.email
    assert f"https://devopsbot.contoso.example/api/incidents/{incident_id}/document" in \
        fields["/fields/Microsoft.VSTS.TCM.ReproSteps"]
    stored = await container.dependencies.incidents.get(incident_id)
    assert stored.follow_ups[0].tracker_url == "https://dev.azure.com/contoso/shop/_workitems/edit/1"
    assert stored.follow_ups[0].is_filed


async def test_a_follow_up_becomes_a_github_issue(tracker: TrackerDouble, policy: OrganisationPolicy,
                                                  clock: FixedClock) -> None:
    container = container_for("github", f"{tracker.url}/repos/contoso/shop", policy, clock)
    incident_id = await follow_up_filed(container)
    [sent] = tracker.requests
    assert sent.path == "/repos/contoso/shop/issues"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Accept"] == "application/vnd.github+json"
    assert sent.body["title"] == f"[{incident_id}] Canary covers card payments"
    assert "priority-1" in sent.body["labels"]
    assert "Due: " in sent.body["body"]
    stored = await container.dependencies.incidents.get(incident_id)
    assert stored.follow_ups[0].tracker_url == "https://github.com/contoso/shop/issues/1"


async def test_a_tracker_outage_is_retried_by_the_timer_and_filed_once(
        tracker: TrackerDouble, policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = container_for("github", f"{tracker.url}/repos/contoso/shop", policy, clock)
    tracker.failures = 1
    incident_id = await follow_up_filed(container)
    pending = await container.dependencies.incidents.get(incident_id)
    assert not pending.follow_ups[0].is_filed
    clock.advance(timedelta(minutes=2))
    await run_tick(container.bus, clock.now())
    await run_tick(container.bus, clock.now() + timedelta(minutes=5))
    stored = await container.dependencies.incidents.get(incident_id)
    assert stored.follow_ups[0].tracker_url == "https://github.com/contoso/shop/issues/2"
    assert len(tracker.requests) == 2
    kinds = [e.kind for e in await container.dependencies.incidents.timeline(incident_id)]
    assert kinds.count("follow_up_filed") == 1


async def test_a_tracker_refusal_never_shows_the_token(policy: OrganisationPolicy) -> None:
    from adapters.tracker import HttpIssueTracker
    from incident.errors import TrackerError
    from tests.unit.postmortem_fixtures import rich_incident

    incident = rich_incident(policy)
    async with running_tracker() as double:
        double.failures = 1
        tracker = HttpIssueTracker(kind="github", url=f"{double.url}/repos/contoso/shop", token=TOKEN)
        with pytest.raises(TrackerError) as refused:
            await tracker.file(incident, incident.follow_ups[0])
    assert "503" in str(refused.value) and TOKEN not in str(refused.value)
