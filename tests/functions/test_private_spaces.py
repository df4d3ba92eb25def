"""A security incident never appears in a shared channel, in any space mode, whatever fails: its space is a
group chat or a private channel made through Graph (a local double), or else its people are told one by one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.inbound_mail import InboundMessage, ingest
from tests.functions.conftest import built_function, request, teams_invoke, teams_message
from tests.functions.test_graph_spaces import graph, identity, space_mode
from tests.support.connector import ConnectorDouble
from tests.support.graph import GraphDouble

__all__ = ["graph", "identity", "space_mode"]  # fixtures, imported for these tests

SHARED = ("team-id", "channel-broadcast")  # General (the incidents channel) and the broadcast channel
PEOPLE = ("29:alice", "29:bob", "29:chloe")


async def declare_security(**overrides: Any) -> str:
    """Declare a security incident from General through the bot; the text of the card that answers."""
    messages = built_function("messages")
    await messages(request("POST", "messages", teams_message("help")))  # the bot learns its team
    data = {"form_id": "private-form-0001", "title": "Ransomware on the file server", "summary": "Shares encrypted",
            "type": "security", "severity": "SEV1", "affects_customers": "true", "unplanned": "true",
            "long_running": "true", "commander": "29:alice", "responder": "29:bob", "invitees": "29:chloe",
            "broadcast": "broadcast", **overrides}
    response = await messages(request("POST", "messages", teams_invoke("declare.submit", data)))
    await bootstrap.get_container().bus.drain()
    return str(json.loads(response.get_body())["value"]["body"][0]["text"])


def personal_texts(connector: ConnectorDouble, person: str) -> list[str]:
    return [json.dumps(s.activity) for s in connector.messages() if s.conversation_id == f"a:personal-{person}"]


def assert_nothing_shared(connector: ConnectorDouble) -> None:
    assert connector.messages("thread") == [], "no thread in General, no announcement in broadcast"
    shared = [s for s in connector.sent if s.conversation_id.split(";")[0] in SHARED]
    assert all(s.kind == "message" and "Ransomware" not in json.dumps(s.activity) and "INC-" not in json.dumps(
        s.activity) for s in shared), shared  # only the answer to "help"


@pytest.mark.parametrize("space_mode", ["thread"], indirect=True)
async def test_in_thread_mode_a_security_incident_gets_a_group_chat_and_nothing_in_shared_channels(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    answer = await declare_security()
    [chat] = graph.bodies("/chats")
    assert {m["user@odata.bind"].split("'")[1] for m in chat["members"]} == {"aad-alice", "aad-bob", "aad-chloe"}
    [chat_id] = graph.chats
    assert graph.installed_apps[chat_id]
    in_chat = [json.dumps(s.activity) for s in connector.messages() if s.conversation_id == chat_id]
    assert any("Ransomware on the file server" in text for text in in_chat)
    assert_nothing_shared(connector)
    assert "Ransomware" not in answer and "private group chat is opening" in answer


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_in_channel_mode_a_security_incident_gets_a_private_channel_and_no_announcement(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    await declare_security()
    [created] = graph.bodies("/teams/group-1/channels")
    assert created["membershipType"] == "private"
    assert created["displayName"] == "INC-2026-0001" and created["description"] == ""  # owners see names
    [channel_id] = graph.channel_privacy
    assert {s.conversation_id.split(";")[0] for s in connector.messages("thread")} == {channel_id}
    assert not [s for s in connector.sent if s.conversation_id.split(";")[0] in ("channel-broadcast",)]


async def test_without_graph_its_people_are_told_one_by_one_and_the_declarer_why(
        installed: Container, connector: ConnectorDouble) -> None:
    answer = await declare_security()
    assert "This is a security incident, so I did not open a thread in General" in answer
    assert "Microsoft Graph is not set up" in answer and "Ransomware" not in answer
    assert_nothing_shared(connector)
    assert {s.conversation_id for s in connector.messages("personal")} == {f"a:personal-{p}" for p in PEOPLE}
    for person in PEOPLE:
        texts = personal_texts(connector, person)
        assert any("You are in security incident INC-2026-0001" in text for text in texts), person
        assert any("Shares encrypted" in text for text in texts), "the incident card, with its details"
    assert "did not open a thread in General" in personal_texts(connector, "29:alice")[0]
    assert "did not open a thread" not in personal_texts(connector, "29:bob")[0]


@pytest.mark.parametrize("space_mode", ["thread", "chat"], indirect=True)
@pytest.mark.parametrize("failure", ["forbidden", "server error"])
async def test_when_graph_refuses_or_fails_nothing_is_shared_and_the_declarer_is_told_why(
        space_mode: str, failure: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    if failure == "forbidden":
        graph.forbidden_code = "Forbidden"
    else:
        graph.failing = 100  # more than the client's retries
    await declare_security()
    assert graph.chats == {}
    assert_nothing_shared(connector)
    assert {s.conversation_id for s in connector.messages("personal")} == {f"a:personal-{p}" for p in PEOPLE}
    why = personal_texts(connector, "29:alice")[0]
    assert "so I did not open a thread in General: Microsoft Graph failed while creating group chat" in why
    assert ("HTTP 403" if failure == "forbidden" else "HTTP 500") in why


@pytest.fixture
async def mailing(policy: OrganisationPolicy, clock: FixedClock,
                  connector: ConnectorDouble) -> AsyncIterator[RecordingMailer]:
    """The process's container, Teams through the connector double, email recorded."""
    mailer = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=policy, mailer=mailer)
    bootstrap.reset_container(container)
    yield mailer
    bootstrap.reset_container(None)
    await container.aclose()


async def test_someone_no_personal_chat_reaches_is_mailed_and_only_they(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    connector.unreachable_users.add("29:bob")
    await declare_security()
    # (stakeholders' mail, and alerts that have no space to be raised in, go by email anyway)
    declared = [e.to for e in mailing.sent if "declared" in e.subject and len(e.to) == 1]
    assert declared == [("bob@contoso.example",)], [e.subject for e in mailing.sent]
    assert_nothing_shared(connector)


async def test_a_security_incident_declared_by_email_is_private_and_not_broadcast(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    container = bootstrap.get_container()
    await built_function("messages")(request("POST", "messages", teams_message("help")))  # the bot's team
    handled = await ingest(container.bus, InboundMessage(
        message_id="<sec1@contoso.example>", sender="duty-manager@contoso.example", sender_name="Duty manager",
        subject="DECLARE SEV1 security: Ransomware on the file server", text="Shares encrypted"),
        container.directory)
    await container.bus.drain()
    incident = await container.dependencies.incidents.get(handled.incident_id)
    assert incident.private
    assert_nothing_shared(connector)
    assert any("You are in security incident" in text for text in personal_texts(connector, "29:duty-manager"))
