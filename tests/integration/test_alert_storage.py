"""Alerts stored once, in memory and on Azurite alike: 50 deliveries of one alert at once, through two hosts
sharing the storage, make one signal and one incident; a repeat costs at most two storage requests, both in
the signal's own partition."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix
from tests.functions.alerts_support import SECRETS, answer, fixture, post

BuildHost = Callable[..., Container]


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def hosts(request: pytest.FixtureRequest, policy: OrganisationPolicy,
                clock: FixedClock) -> AsyncIterator[BuildHost]:
    """Builds app instances: in memory, one shared instance; on Azurite, separate instances on the same tables."""
    built: list[Container] = []
    prefix = unique_prefix()

    def build(**options: Any) -> Container:
        if request.param == "memory":
            if not built:
                built.append(Container(Settings(storage_connection_string="memory",
                                                alert_secrets=tuple(SECRETS.items())), clock=clock, in_memory=True,
                                       policy=policy, notifier=RecordingNotifier()))
            return built[0]
        host = Container(Settings(storage_connection_string=request.getfixturevalue("azurite"), table_prefix=prefix,
                                  alert_secrets=tuple(SECRETS.items())), clock=clock, policy=policy,
                         notifier=RecordingNotifier(), table_client_options=options)
        built.append(host)
        return host

    yield build
    bootstrap.reset_container(None)
    for host in built:
        await host.aclose()


async def test_fifty_deliveries_of_one_alert_at_once_through_two_hosts_make_one_signal_and_one_incident(
        hosts: BuildHost) -> None:
    first, second = hosts(), hosts()
    body = fixture("azure-monitor-metric-fired.json")

    async def deliver(host: Container) -> Any:
        bootstrap.reset_container(host)  # the function reads the process's container when it starts
        return await post("azure-monitor", body)

    responses = await asyncio.gather(*(deliver(first if n % 2 else second) for n in range(50)))
    assert {r.status_code for r in responses} == {202}
    incidents = {answer(r)["signals"][0]["incident"] for r in responses} - {""}
    assert len(incidents) == 1
    assert first.dependencies.signals is not None
    [signal] = await first.dependencies.signals.since(first.clock.now() - timedelta(minutes=1))
    assert signal.deliveries == 50 and signal.incident_id in incidents
    assert len(await first.dependencies.incidents.list_open()) == 1


async def test_two_alerts_of_one_group_at_once_open_one_incident(hosts: BuildHost) -> None:
    first, second = hosts(), hosts()
    body = fixture("alertmanager-firing.json")
    other = body.replace(b"a1a1a1a1b2b2b2b2", b"0000000011111111").replace(b"c3c3c3c3d4d4d4d4", b"2222222233333333")

    async def deliver(host: Container, payload: bytes) -> Any:
        bootstrap.reset_container(host)
        return await post("alertmanager", payload)

    responses = await asyncio.gather(deliver(first, body), deliver(second, other))
    outcomes = [s["outcome"] for r in responses for s in answer(r)["signals"]]
    assert sum(o.startswith("declared") for o in outcomes) == 1 and len(outcomes) == 4
    assert len(await first.dependencies.incidents.list_open()) == 1


@pytest.mark.azurite
async def test_a_repeat_costs_at_most_two_storage_requests_in_the_signals_own_partition(
        azurite: str, policy: OrganisationPolicy, clock: FixedClock) -> None:
    requests: list[tuple[str, str]] = []

    def count(request: Any) -> None:
        requests.append((request.http_request.method, request.http_request.url))

    host = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix(),
                              alert_secrets=tuple(SECRETS.items())), clock=clock, policy=policy,
                     notifier=RecordingNotifier(), table_client_options={"raw_request_hook": count})
    bootstrap.reset_container(host)
    try:
        body = fixture("grafana-firing.json")
        await post("grafana", body)  # the first: stored and acted on
        await host.bus.drain()
        requests.clear()
        repeated = answer(await post("grafana", body))["signals"][0]
        assert repeated["repeat"] and repeated["deliveries"] == 2
        assert len(requests) <= 2, requests
        assert all("signals(" in url for _, url in requests), requests  # no other table, no transaction
        assert all(method != "POST" or "$batch" not in url for method, url in requests)
    finally:
        bootstrap.reset_container(None)
        await host.aclose()


async def test_ten_alerts_of_one_group_at_once_are_all_accepted_into_one_incident(hosts: BuildHost) -> None:
    first, second = hosts(), hosts()
    base = json.loads(fixture("generic-firing.json"))

    async def deliver(n: int) -> Any:
        bootstrap.reset_container(first if n % 2 else second)
        return await post("generic", base | {"id": f"identity-{n}", "summary": f"Identity alert {n}"})

    responses = await asyncio.gather(*(deliver(n) for n in range(10)))
    assert {r.status_code for r in responses} == {202}
    outcomes = [answer(r)["signals"][0]["outcome"] for r in responses]
    assert sum(o.startswith("declared") for o in outcomes) == 1
    assert sum(o.startswith("attached to") for o in outcomes) == 9
    [incident] = await first.dependencies.incidents.list_open()
    timeline = await first.dependencies.incidents.timeline(incident.id)
    assert [e.kind for e in timeline].count("signal_attached") == 9
