"""Injection through what people type: template syntax, card JSON, markdown and table-filter syntax stay text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix
from tests.functions.conftest import built_function, request, teams_invoke, teams_message
from tests.support.connector import ConnectorDouble
from tests.support.smtp import Inbox
from tests.support.storm import INCIDENT_ID, declaration_form

TEAMS_CARD_LIMIT = 28 * 1024  # Teams refuses a message larger than about 28 KB


async def declare_titled(title: str, **overrides: Any) -> dict[str, Any]:
    form = {**declaration_form(1, prefix="inject"), "title": title, "severity": "SEV1", **overrides}
    response = await built_function("messages")(request("POST", "messages", teams_invoke("declare.submit", form)))
    assert response.status_code == 200
    await bootstrap.get_container().bus.drain()
    return dict(json.loads(response.get_body()))


def announcement(connector: ConnectorDouble) -> dict[str, Any]:
    [thread] = [s for s in connector.messages("thread") if s.conversation_id.startswith("channel-broadcast;")]
    return dict(thread.activity["attachments"][0]["content"])


def texts(card: Any) -> list[str]:
    """Every ``text`` value anywhere in the card."""
    if isinstance(card, dict):
        return [str(v) for k, v in card.items() if k == "text"] + [t for v in card.values() for t in texts(v)]
    if isinstance(card, list):
        return [t for item in card for t in texts(item)]
    return []


def types(card: Any) -> list[str]:
    if isinstance(card, dict):
        return [str(card.get("type", ""))] + [t for v in card.values() for t in types(v)]
    if isinstance(card, list):
        return [t for item in card for t in types(item)]
    return []


async def test_template_syntax_in_a_title_is_shown_not_run_in_cards(mailing: Container,
                                                                    connector: ConnectorDouble) -> None:
    await declare_titled("{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %}")
    shown = [t for t in texts(announcement(connector)) if "{{" in t]
    assert shown and all("49" not in t and "012" not in t for t in shown)


async def test_template_syntax_in_a_title_is_shown_not_run_in_email(mailing: Container, inbox: Inbox) -> None:
    await declare_titled("{{ 7*7 }} <b>bold</b>")
    [mail] = [m for m in inbox.messages if "declared" in str(m.message["Subject"])]
    assert "{{ 7*7 }} <b>bold</b>" in mail.part("plain")
    assert "{{ 7*7 }} &lt;b&gt;bold&lt;/b&gt;" in mail.part("html")
    assert "49" not in mail.part("html")


async def test_card_json_in_a_title_cannot_add_an_action_to_the_card(mailing: Container,
                                                                     connector: ConnectorDouble) -> None:
    title = '"}], "actions": [{"type": "Action.OpenUrl", "url": "https://evil.example"}], "x": [{"'
    await declare_titled(title)
    card = announcement(connector)
    assert "Action.OpenUrl" not in types(card)
    assert any("Action.OpenUrl" in t for t in texts(card))  # there, as text


async def test_markdown_in_a_title_cannot_make_a_link_or_a_mention(mailing: Container,
                                                                   connector: ConnectorDouble) -> None:
    await declare_titled("[click me](https://evil.example) <at>Everyone</at>")
    shown = [t for t in texts(announcement(connector)) if "click me" in t]
    assert shown
    assert all("[click me](" not in t and "<at>" not in t for t in shown), shown


async def test_an_oversized_form_is_refused_with_a_card_teams_can_still_show(mailing: Container) -> None:
    answer = await declare_titled("T" * 200_000, summary="S" * 20_000)
    card = answer["value"]
    assert len(json.dumps(card)) < TEAMS_CARD_LIMIT
    assert await mailing.dependencies.incidents.list_open() == []


@pytest.mark.azurite
async def test_quotes_in_ids_do_not_change_what_storage_reads(azurite: str, policy: OrganisationPolicy,
                                                              connector: ConnectorDouble) -> None:
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()), policy=policy)
    bootstrap.reset_container(container)
    try:
        declared = await declare_titled("Checkout failing")
        [incident_id] = set(INCIDENT_ID.findall(json.dumps(declared)))
        hostile = "team-id' or PartitionKey ne 'x"
        status = await built_function("messages")(request("POST", "messages", teams_message(
            "status", conversation=hostile)))
        refresh = await built_function("messages")(request("POST", "messages", teams_invoke(
            "incident.refresh", {"incident_id": f"{incident_id}' or RowKey ne '"})))
        conversations = container.dependencies.conversations
        assert await conversations.get(f"conversation:{hostile}", "incident") is None
        assert await conversations.list_for(f"{incident_id}' or PartitionKey ne '") == {}
    finally:
        bootstrap.reset_container(None)
        await container.aclose()
    assert status.status_code == 200 and incident_id not in status.get_body().decode()
    assert refresh.status_code == 200 and "out of date" in refresh.get_body().decode()
