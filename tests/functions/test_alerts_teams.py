"""A resolved alert in Teams: the commander's resolve form opens with the exit criterion the alert ticked,
and the incident stays open until a person resolves it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.alerts_support import SECRETS, answer, fixture, post
from tests.functions.conftest import built_function, request, teams_invoke


@pytest.fixture
def alerting(policy: OrganisationPolicy, clock: FixedClock) -> Iterator[Container]:
    container = Container(Settings(storage_connection_string="memory", alert_secrets=tuple(SECRETS.items())),
                          clock=clock, in_memory=True, policy=replace(policy, admins=("29:alice",)),
                          notifier=RecordingNotifier())
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def resolve_form(incident_id: str) -> dict[str, bool]:
    response = await built_function("messages")(request("POST", "messages", teams_invoke(
        "incident.resolve_form", {"incident_id": incident_id})))
    card = json.loads(response.get_body())["value"]
    return {item["id"]: item.get("value") == "true" for item in card["body"]
            if str(item.get("id", "")).startswith("criterion_")}


async def test_the_resolve_form_starts_with_the_criterion_a_resolved_alert_ticked(alerting: Container) -> None:
    incident_id = answer(await post("azure-monitor", fixture("azure-monitor-metric-fired.json")))["signals"][0][
        "incident"]
    before = await resolve_form(incident_id)
    assert before == {"criterion_service_restored": False, "criterion_monitoring_green": False,
                      "criterion_customers_told": False}
    await post("azure-monitor", fixture("azure-monitor-metric-resolved.json"))
    after = await resolve_form(incident_id)
    assert after == before | {"criterion_monitoring_green": True}
    assert (await alerting.dependencies.incidents.get(incident_id)).status.is_active
