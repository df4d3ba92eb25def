"""When Teams fails, the people of the incident are told by email instead: once per notification, however
often the Teams send is retried, and Teams still gets everything once it is back."""

from __future__ import annotations

import json
from datetime import timedelta

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from services.timers import run_tick
from tests.functions.conftest import SERVICE, built_function, request, teams_invoke, teams_message
from tests.support.connector import ConnectorDouble
from tests.support.processes import free_port
from tests.support.smtp import Inbox, Received
from tests.support.storm import INCIDENT_ID, declaration_form

COMMANDER = "alice@contoso.example"  # the connector double's Alice, commander of every form here


async def declare() -> str:
    response = await built_function("messages")(request("POST", "messages", teams_invoke(
        "declare.submit", declaration_form(1, prefix="fallback"))))
    [incident_id] = set(INCIDENT_ID.findall(response.get_body().decode()))
    return str(incident_id)


def mailed_to_commander(inbox: Inbox, what: str) -> list[Received]:
    return [m for m in inbox.messages if COMMANDER in m.envelope_to and what in str(m.message["Subject"])]


def announced(connector: ConnectorDouble) -> list[str]:
    return [i for s in connector.messages("thread") if s.conversation_id.startswith("channel-broadcast;")
            for i in set(INCIDENT_ID.findall(json.dumps(s.activity)))]


async def after_teams_is_back(mailing: Container, clock: FixedClock, connector: ConnectorDouble) -> None:
    await mailing.bus.drain()
    connector.failures = []
    for _ in range(4):  # retries are due within minutes; Teams is held for down for ten after repeated failures
        clock.at += timedelta(minutes=11)
        await run_tick(mailing.bus, clock.at)


async def test_when_teams_fails_the_commander_is_mailed_the_declaration_once(
        mailing: Container, connector: ConnectorDouble, inbox: Inbox, clock: FixedClock) -> None:
    connector.failures = [500] * 40
    incident_id = await declare()
    await mailing.bus.drain()
    [mail] = mailed_to_commander(inbox, "declared")
    assert incident_id in str(mail.message["Subject"])
    await after_teams_is_back(mailing, clock, connector)
    assert len(mailed_to_commander(inbox, "declared")) == 1, "the retries do not mail again"
    assert announced(connector) == [incident_id], "Teams gets the announcement once it is back"


async def test_when_teams_answers_after_throttling_nobody_is_mailed_instead(
        mailing: Container, connector: ConnectorDouble, inbox: Inbox) -> None:
    connector.failures, connector.retry_after = [429, 429], "0"
    incident_id = await declare()
    await mailing.bus.drain()
    assert announced(connector) == [incident_id]
    assert mailed_to_commander(inbox, "declared") == []


async def test_when_teams_cannot_be_reached_at_all_the_commander_is_mailed_the_declaration(
        mailing: Container, connector: ConnectorDouble, inbox: Inbox) -> None:
    # The team was learned at an address that now refuses connections (the click itself still reaches the
    # bot, and the people of the conversation, with their email addresses, are known from it).
    reachable = SERVICE["url"]
    SERVICE["url"] = f"http://127.0.0.1:{free_port()}/"
    try:
        await built_function("messages")(request("POST", "messages", teams_message("help")))
    finally:
        SERVICE["url"] = reachable
    incident_id = await declare()
    await mailing.bus.drain()
    [mail] = mailed_to_commander(inbox, "declared")
    assert incident_id in str(mail.message["Subject"])
    assert announced(connector) == []
