"""What a declaration costs the host on Azurite, counted in storage requests (each costs the host CPU, which
Flex Consumption bills; bench/declaration_storm.py measures it): the deadlines and the plan's steps in one
transaction, no outbox progress written for the stakeholders' mail, and the incident's space read at most
once for all the alerts of its declaration, each alert still in its own incident's space."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.outbox import OUTBOX_SWEEP
from services.ports import Alert
from services.response_plan import PLAN_STEP_DUE
from services.timers import ACK_DEADLINE, ROLE_UNFILLED, STALE_CHECK, STATUS_REMINDER
from tests.conftest import ALICE, unique_prefix
from tests.functions import conftest as activities
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.storm import declaration_form

pytestmark = pytest.mark.azurite


@dataclass
class Requests:
    """Every storage request the host sends: (method, path without the account and the query)."""

    seen: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)

    def __call__(self, request: Any) -> None:
        url = request.http_request.url.split("/devstoreaccount1/", 1)[-1].split("?")[0]
        self.seen.append((request.http_request.method, url))
        self.bodies.append(str(request.http_request.body or ""))

    def count(self, method: str, starts: str) -> int:
        return sum(1 for m, path in self.seen if m == method and path.startswith(starts))


async def test_a_declaration_schedules_its_deadlines_and_plan_steps_in_one_transaction(
        azurite: str, policy: OrganisationPolicy, clock: FixedClock) -> None:
    requests = Requests()
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()), clock=clock,
                          policy=policy, notifier=RecordingNotifier(),
                          table_client_options={"raw_request_hook": requests})
    try:
        incident = await container.bus.handle(commands.DeclareIncident(
            title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
            roles={"commander": ALICE}, services=("checkout",)))
        requests.seen.clear()
        requests.bodies.clear()
        await container.bus.drain()  # the reactions
        assert requests.count("POST", "$batch") == 1, requests.seen
        # The stakeholders' mail is claimed message by message: the outbox records no progress for it.
        progress = [json.loads(body)["Done"].split(",") for (method, _), body in zip(
            requests.seen, requests.bodies, strict=True) if method == "PUT" and '"Done"' in body]
        assert progress and all(done[-1] != "mail_stakeholders" for done in progress), progress
        due = await container.dependencies.due_work.due(clock.now() + timedelta(days=400))
        kinds = [i.kind for i in due if i.incident_id == incident.id]
        steps = policy.incident_type("outage").response_plan.steps
        plan_items = len({step.due_after for step in steps})
        assert {ACK_DEADLINE, ROLE_UNFILLED, STALE_CHECK, STATUS_REMINDER} <= set(kinds)
        assert kinds.count(PLAN_STEP_DUE) == plan_items >= 1
        assert len(kinds) == 4 + plan_items + kinds.count(OUTBOX_SWEEP)  # nothing else, nothing twice
    finally:
        await container.aclose()


@pytest.fixture
async def teams_host(azurite: str, policy: OrganisationPolicy,
                     clock: FixedClock) -> AsyncIterator[tuple[Container, ConnectorDouble, Requests]]:
    """The app with its Teams notifier on the connector double, its storage requests counted."""
    requests = Requests()
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()), clock=clock,
                          policy=policy, table_client_options={"raw_request_hook": requests})
    bootstrap.reset_container(container)
    async with running_connector() as connector:
        activities.SERVICE["url"] = connector.url
        try:
            yield container, connector, requests
        finally:
            activities.SERVICE["url"] = "http://127.0.0.1:9/_connector"
            bootstrap.reset_container(None)
            await container.aclose()


async def declare(container: Container, n: int) -> str:
    messages = activities.built_function("messages")
    response = await messages(activities.request("POST", "messages", activities.teams_invoke(
        "declare.submit", declaration_form(n, prefix="cost"), activity_id=f"cost-{n}")))
    assert response.status_code == 200
    await container.bus.drain()
    [incident] = [i for i in await container.dependencies.incidents.list_open() if i.title.endswith(f"{n:06d}")]
    return incident.id


async def test_the_alerts_of_a_declaration_read_its_space_from_storage_at_most_once(
        teams_host: tuple[Container, ConnectorDouble, Requests]) -> None:
    container, connector, requests = teams_host
    messages = activities.built_function("messages")
    await messages(activities.request("POST", "messages", activities.teams_message("help")))  # learns the team
    requests.seen.clear()
    alerts_before = len(connector.messages())
    await declare(container, 1)
    # The team's home and the incident's references (none yet): two reads; no read per alert.
    assert requests.count("GET", f"{container.settings.table_prefix}conversations") <= 2, requests.seen
    assert len(connector.messages()) - alerts_before >= 3  # the invitation, the plan and at least one alert


async def test_each_incidents_alerts_go_to_its_own_space(
        teams_host: tuple[Container, ConnectorDouble, Requests]) -> None:
    container, connector, _ = teams_host
    messages = activities.built_function("messages")
    await messages(activities.request("POST", "messages", activities.teams_message("help")))
    spaces = {}
    for n in (1, 2):
        incident_id = await declare(container, n)
        space = await container.dependencies.conversations.get(incident_id, "space")
        assert space is not None
        spaces[incident_id] = space["reference"]["conversation"]["id"]
    assert len(set(spaces.values())) == 2
    # A later alert of each incident, after both spaces are known to this process, goes to that incident's space.
    for incident_id, conversation in spaces.items():
        incident = await container.dependencies.incidents.get(incident_id)
        before = len(connector.messages())
        await container.notifier.alert(incident, Alert("no_playbook", (ALICE,), {"services": "checkout"}))
        [sent] = connector.messages()[before:]
        assert sent.conversation_id == conversation
