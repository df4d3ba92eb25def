"""POST /api/alerts/{source}: every published payload shape becomes signals, the rules of the organisation
file decide what they become, repeats only count, and a resolved alert is a hint, never a resolution."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.lifecycle import Status
from incident.policy import OrganisationPolicy
from incident.signal_changes import hinted_criteria
from tests.functions.alerts_support import SECRETS, answer, fixture, post


@pytest.fixture
def teams() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def alerting(policy: OrganisationPolicy, clock: FixedClock, teams: RecordingNotifier) -> Iterator[Container]:
    """The app in memory, with every source's secret and the shipped organisation file's [alerts] rules."""
    container = Container(Settings(storage_connection_string="memory", alert_secrets=tuple(SECRETS.items())),
                          clock=clock, in_memory=True, policy=policy, notifier=teams)
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


@pytest.mark.parametrize(("name", "source", "service", "severity", "outcome"), [
    ("azure-monitor-metric-fired.json", "azure-monitor", "checkout", "SEV2", "declared"),
    ("azure-monitor-log-search.json", "azure-monitor", "payments", "SEV3", "declared"),
    ("azure-monitor-activity-log.json", "azure-monitor", "search", "SEV4", "ignored (rule informational)"),
    ("azure-monitor-service-health.json", "azure-monitor", "", "SEV4", "ignored (rule informational)"),
    ("azure-monitor-resource-health.json", "azure-monitor", "identity", "SEV4", "ignored (rule informational)"),
    ("grafana-firing.json", "grafana", "search", "SEV3", "declared"),
    ("generic-firing.json", "generic", "identity", "SEV2", "declared"),
])
async def test_each_payload_kind_becomes_a_signal_with_the_organisations_severity_and_service(
        alerting: Container, name: str, source: str, service: str, severity: str, outcome: str) -> None:
    response = await post(source, fixture(name))
    assert response.status_code == 202, response.get_body()
    [taken] = answer(response)["signals"]
    assert taken["state"] == "firing" and taken["outcome"].startswith(outcome)
    assert alerting.dependencies.signals is not None
    [stored] = await alerting.dependencies.signals.since(alerting.clock.now() - timedelta(minutes=1))
    assert (stored.signal.source, stored.signal.service, stored.severity) == (source, service, severity)
    assert stored.outcome == taken["outcome"]
    if outcome == "declared":
        incident = await alerting.dependencies.incidents.get(taken["incident"])
        assert incident.severity == severity and incident.services == ((service,) if service else ())
        assert stored.signal.summary in incident.title


async def test_an_alertmanager_group_gives_one_signal_per_alert_and_one_incident_for_the_service(
        alerting: Container, teams: RecordingNotifier) -> None:
    response = await post("alertmanager", fixture("alertmanager-firing.json"))
    assert response.status_code == 202
    first, second = answer(response)["signals"]
    assert first["outcome"].startswith("declared") and second["outcome"] == f"attached to {first['incident']}"
    timeline = await alerting.dependencies.incidents.timeline(first["incident"])
    assert [e.kind for e in timeline].count("signal_attached") == 1
    await alerting.bus.drain()
    assert teams.told("declared") == [first["incident"]]


async def test_a_repeated_notification_only_counts_and_posts_nothing_more(alerting: Container,
                                                                          teams: RecordingNotifier) -> None:
    first = answer(await post("azure-monitor", fixture("azure-monitor-metric-fired.json")))["signals"][0]
    await alerting.bus.drain()
    calls = list(teams.calls)
    again = [answer(await post("azure-monitor", fixture("azure-monitor-metric-fired.json")))["signals"][0]
             for _ in range(3)]
    await alerting.bus.drain()
    assert [a["deliveries"] for a in again] == [2, 3, 4] and all(a["repeat"] for a in again)
    assert {a["incident"] for a in again} == {first["incident"]}
    assert teams.calls == calls  # no Teams message, no card redrawn, for a repeat
    assert len(await alerting.dependencies.incidents.list_open()) == 1


async def test_a_resolved_alert_ticks_the_exit_criterion_and_tells_the_commander_but_never_resolves(
        alerting: Container, teams: RecordingNotifier) -> None:
    fired = answer(await post("azure-monitor", fixture("azure-monitor-metric-fired.json")))["signals"][0]
    resolved = answer(await post("azure-monitor", fixture("azure-monitor-metric-resolved.json")))["signals"][0]
    await alerting.bus.drain()
    assert resolved["outcome"] == f"resolved: hint sent to {fired['incident']}"
    incident = await alerting.dependencies.incidents.get(fired["incident"])
    assert incident.status is not Status.RESOLVED and incident.status.is_active
    timeline = await alerting.dependencies.incidents.timeline(incident.id)
    assert hinted_criteria(timeline) == ("monitoring_green",)
    assert teams.told("alert:signal_resolved") == [incident.id]


async def test_resolved_alerts_of_alertmanager_grafana_and_generic_are_hints_to_their_incident(
        alerting: Container) -> None:
    for source, firing, resolved in (("alertmanager", "alertmanager-firing.json", "alertmanager-resolved.json"),
                                     ("grafana", "grafana-firing.json", "grafana-resolved.json"),
                                     ("generic", "generic-firing.json", "generic-resolved.json")):
        incident_id = answer(await post(source, fixture(firing)))["signals"][0]["incident"]
        [hint] = answer(await post(source, fixture(resolved)))["signals"]
        assert hint["outcome"] == f"resolved: hint sent to {incident_id}", source
        assert (await alerting.dependencies.incidents.get(incident_id)).status.is_active


async def test_alerts_of_a_group_within_the_window_attach_and_after_it_open_a_new_incident(
        alerting: Container, clock: FixedClock) -> None:
    body = json.loads(fixture("generic-firing.json"))
    first = answer(await post("generic", body))["signals"][0]
    clock.advance(timedelta(minutes=45))
    second = answer(await post("generic", body | {"id": "identity-token-errors", "summary": "Token errors"}))
    assert second["signals"][0]["outcome"] == f"attached to {first['incident']}"
    clock.advance(timedelta(minutes=59))  # the window runs from the group's last alert
    third = answer(await post("generic", body | {"id": "identity-mfa", "summary": "MFA push failing"}))
    assert third["signals"][0]["outcome"] == f"attached to {first['incident']}"
    clock.advance(timedelta(minutes=61))
    fourth = answer(await post("generic", body | {"id": "identity-saml", "summary": "SAML failing"}))
    assert fourth["signals"][0]["outcome"].startswith("declared")
    assert fourth["signals"][0]["incident"] != first["incident"]
    assert len(await alerting.dependencies.incidents.list_open()) == 2


async def test_control_characters_in_alert_text_never_reach_the_incident_title(alerting: Container) -> None:
    body = json.loads(fixture("generic-firing.json")) | {"summary": "Disk\x1b[31m full\x00 on\n db1"}
    [taken] = answer(await post("generic", body))["signals"]
    incident = await alerting.dependencies.incidents.get(taken["incident"])
    assert incident.title == "[generic] Disk[31m full on db1"
