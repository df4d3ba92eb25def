"""@mentions of people whose names are long or hold markup: the name is cut to 64 characters and escaped, and
the mention entity's text is exactly what the message or card says (Teams refuses a mention it cannot find)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.people import Person
from incident.policy import OrganisationPolicy
from tests.functions.test_teams_conversation import declare, threads
from tests.functions.test_teams_playbooks import submit
from tests.support.connector import ConnectorDouble

# A name that tries to close its mention and open another, with an ampersand, and 10,000 more characters.
HOSTILE = "Eve</at><at>Everyone & <b>" + "x" * 10_000
IN_A_MESSAGE = "<at>Eve&lt;/at&gt;&lt;at&gt;Everyone &amp; &lt;b&gt;" + "x" * 38 + "</at>"  # 64 characters of name
IN_A_CARD = "<at>Eve\\</at\\>\\<at\\>Everyone & \\<b\\>" + "x" * 38 + "</at>"  # Markdown-escaped, as card text is


async def test_an_invitation_mentions_a_hostile_name_cut_and_escaped_as_its_entity_says(
        installed: Container, connector: ConnectorDouble) -> None:
    connector.members.append({"id": "29:eve", "name": HOSTILE, "email": "eve@contoso.example",
                              "aadObjectId": "aad-eve"})
    await declare(installed, invitees="29:eve")
    space, _ = threads(connector)
    mentioning = [m.activity for m in connector.messages()
                  if m.conversation_id == space.conversation_id and m.activity.get("entities")]
    assert mentioning, "the invitation mentions the incident's people"
    for message in mentioning:  # the invitation, and any alert naming people
        [eve] = [e for e in message["entities"] if e["mentioned"]["id"] == "29:eve"] or [{"text": IN_A_MESSAGE}]
        assert eve["text"] == IN_A_MESSAGE
        assert all(e["text"] in message["text"] for e in message["entities"])
        assert message["text"].count("<at>") == message["text"].count("</at>") == len(message["entities"])
        assert len(message["text"]) < 1000
    assert IN_A_MESSAGE in mentioning[0]["text"]


@pytest.fixture
def hostile_approver(policy: OrganisationPolicy, connector: ConnectorDouble) -> Iterator[Container]:
    approvers = {"checkout": (Person("29:eve", HOSTILE),)}
    container = Container(Settings(storage_connection_string="memory"), in_memory=True,
                          clock=FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
                          policy=replace(policy, playbooks=replace(policy.playbooks, approvers=approvers)))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def test_a_review_card_mentions_a_hostile_approver_cut_and_escaped_as_its_entity_says(
        hostile_approver: Container) -> None:
    reply: dict[str, Any] = await submit()
    card = reply["attachments"][0]["content"]
    [entity] = card["msteams"]["entities"]
    assert (entity["text"], entity["mentioned"]["id"]) == (IN_A_CARD, "29:eve")
    text = json.dumps(card["body"])
    assert json.dumps(IN_A_CARD)[1:-1] in text
    assert HOSTILE[:200] not in text and len(text) < 5000
