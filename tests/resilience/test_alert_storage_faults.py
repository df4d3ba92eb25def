"""An alert whose handling storage interrupts is not lost: the sender hears 503, the half-stored signal is
released, and the sender's retry declares the incident, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix
from tests.functions.alerts_support import SECRETS, answer, fixture, post
from tests.resilience.test_storage_faults import FAST
from tests.support.fault_proxy import FaultProxy, fault_proxy

pytestmark = pytest.mark.azurite


@pytest.fixture
async def behind_proxy(azurite: str, policy: OrganisationPolicy,
                       clock: FixedClock) -> AsyncIterator[tuple[FaultProxy, Container]]:
    target = azurite.split("TableEndpoint=")[1].split(";")[0].rsplit("/", 1)[0]
    async with fault_proxy(target) as proxy:
        container = Container(Settings(storage_connection_string=azurite.replace(target, proxy.url),
                                       table_prefix=unique_prefix(), alert_secrets=tuple(SECRETS.items())),
                              policy=policy, clock=clock, notifier=RecordingNotifier(), table_client_options=FAST)
        bootstrap.reset_container(container)
        try:
            yield proxy, container
        finally:
            bootstrap.reset_container(None)
            await container.aclose()


async def test_storage_failing_mid_alert_answers_503_and_the_retry_declares_once(
        behind_proxy: tuple[FaultProxy, Container]) -> None:
    proxy, container = behind_proxy
    warm = answer(await post("grafana", fixture("grafana-firing.json")))["signals"][0]  # every table exists
    assert warm["outcome"].startswith("declared")
    await container.bus.drain()  # its reactions are done: the faults below meet the alert's own requests
    proxy.fail("unavailable", requests=3, after=2)  # the signal is stored, then its group cannot be read
    failed = await post("generic", fixture("generic-firing.json"))
    assert failed.status_code == 503
    retried = answer(await post("generic", fixture("generic-firing.json")))["signals"][0]
    assert retried["outcome"].startswith("declared") and not retried["repeat"]
    assert container.dependencies.signals is not None
    stored = await container.dependencies.signals.since(container.clock.now() - timedelta(minutes=1))
    assert sorted(s.signal.source for s in stored) == ["generic", "grafana"]
    assert len(await container.dependencies.incidents.list_open()) == 2
