"""Incident spaces as new channels or group chats, made through Microsoft Graph (a local double of it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.graph import GraphClient, GraphIdentity, MsalTokens
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident.errors import ConfigurationError
from incident.policy import OrganisationPolicy
from tests.functions.conftest import built_function, request, teams_invoke, teams_message
from tests.support.connector import ConnectorDouble
from tests.support.graph import GraphDouble, IdentityDouble, running_graph


def organisation_with(tmp_path: Path, mode: str) -> Path:
    path = tmp_path / f"organisation-{mode}.toml"
    path.write_text((ROOT / "config" / "organisation.toml").read_text().replace(
        'space_mode = "thread"', f'space_mode = "{mode}"'))
    return path


@pytest.fixture
async def graph() -> AsyncIterator[GraphDouble]:
    async with running_graph() as double:
        yield double


@pytest.fixture
def identity() -> Iterator[IdentityDouble]:
    double = IdentityDouble()
    yield double
    assert double.unexpected == []


@pytest.fixture
async def space_mode(request: pytest.FixtureRequest, tmp_path: Path, graph: GraphDouble, identity: IdentityDouble,
                     clock: FixedClock, policy: OrganisationPolicy,
                     connector: ConnectorDouble) -> AsyncIterator[str]:
    """Install a container whose organisation file asks for ``request.param`` spaces, Graph on the double."""
    mode = str(request.param)
    tokens = MsalTokens(GraphIdentity(mode="secret", client_id="bot-client", tenant_id=identity.tenant,
                                      client_secret="s3cret", authority_host=identity.authority_host),
                        http_client=identity)
    client = GraphClient(tokens, base_url=graph.url, sleep=_no_wait)
    container = Container(Settings(storage_connection_string="memory", organisation_file=organisation_with(
        tmp_path, mode), teams_app_id="teams-app-1", graph_auth="secret"), clock=clock, in_memory=True,
        policy=policy, graph=client)
    bootstrap.reset_container(container)
    connector.bot_installed_in = lambda chat_id: bool(graph.installed_apps.get(chat_id))  # as Teams refuses
    yield mode
    bootstrap.reset_container(None)
    await container.aclose()


async def _no_wait(seconds: float) -> None:
    return None


async def declare(**overrides: Any) -> dict[str, Any]:
    messages = built_function("messages")
    await messages(request("POST", "messages", teams_message("help")))  # the bot learns its team
    data = {"form_id": "graph-form-0001", "title": "Checkout failing", "type": "outage", "severity": "SEV1",
            "affects_customers": "true", "unplanned": "true", "long_running": "true", "commander": "29:alice",
            "responder": "29:bob", "invitees": "29:chloe", "broadcast": "broadcast"}
    data.update(overrides)
    response = await messages(request("POST", "messages", teams_invoke("declare.submit", data)))
    await bootstrap.get_container().bus.drain()
    return dict(json.loads(response.get_body()))


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_channel_mode_opens_a_channel_named_for_the_incident(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    await declare()
    [created] = [r for r in graph.requests if r.path == "/teams/group-1/channels"]
    assert created.body["displayName"] == "INC-2026-0001 Checkout failing"
    assert created.body["membershipType"] == "standard"
    assert created.authorization.startswith("Bearer ")
    threads = {s.conversation_id.split(";")[0] for s in connector.messages("thread")}
    assert threads == {_channel_id(graph), "channel-broadcast"}


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_a_security_incident_gets_a_private_channel_owned_by_its_people(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    await declare(private="true", type="security")
    [created] = [r for r in graph.requests if r.path == "/teams/group-1/channels"]
    assert created.body["membershipType"] == "private"
    owners = {m["user@odata.bind"].split("'")[1] for m in created.body["members"]}
    assert owners == {"aad-alice", "aad-bob", "aad-chloe"}


@pytest.mark.parametrize("space_mode", ["chat"], indirect=True)
async def test_chat_mode_opens_a_group_chat_with_the_bot_installed(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    await declare()
    [chat] = [r for r in graph.requests if r.path == "/chats"]
    assert chat.body["topic"] == "INC-2026-0001 Checkout failing"
    members = {m["user@odata.bind"].split("'")[1] for m in chat.body["members"]}
    assert members == {"aad-alice", "aad-bob", "aad-chloe"}
    [installed] = [r for r in graph.requests if r.path.endswith("/installedApps")]
    assert installed.body["teamsApp@odata.bind"].endswith("/appCatalogs/teamsApps/teams-app-1")
    chat_id = installed.path.split("/")[2]
    cards = [m for m in connector.messages() if m.conversation_id == chat_id and m.activity.get("attachments")]
    assert cards and "Checkout failing" in json.dumps(cards[0].activity)


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_when_graph_refuses_the_incident_still_gets_a_thread(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble, caplog: pytest.LogCaptureFixture) -> None:
    graph.forbidden_code = "Forbidden"
    await declare()
    threads = {s.conversation_id.split(";")[0] for s in connector.messages("thread")}
    assert threads == {"team-id", "channel-broadcast"}
    assert "opening a thread instead" in caplog.text


def test_channel_mode_without_graph_settings_stops_start_up(tmp_path: Path, policy: OrganisationPolicy) -> None:
    container = Container(Settings(storage_connection_string="memory",
                                   organisation_file=organisation_with(tmp_path, "channel")), in_memory=True)
    with pytest.raises(ConfigurationError, match="DEVOPSBOT_GRAPH_AUTH: required"):
        container.validate()


def _channel_id(graph: GraphDouble) -> str:
    """The id the Graph double gave the channel it created."""
    [channel_id] = list(graph.channel_members)
    return channel_id
