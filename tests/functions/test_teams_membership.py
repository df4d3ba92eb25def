"""Membership is the rule, through the Bot Framework protocol: nobody outside a security incident steers it
from Teams, whichever card or command they use; admins are recognised by their Entra object id too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import teams_invoke, teams_message
from tests.functions.test_teams_conversation import click, declare, say, send
from tests.support.connector import ConnectorDouble

MALLORY = ("29:mallory", "Mallory Outsider")
DANA = ("29:dana", "Dana Admin")  # Teams sends her Entra object id as aadObjectId "aad-dana"
TITLE = "Ransomware on file server"


def personal(activity: dict[str, Any]) -> dict[str, Any]:
    """The same activity from the user's personal chat with the bot: no team, no channel."""
    activity["conversation"] = {"id": "a:1personal-chat-mallory", "conversationType": "personal",
                                "tenantId": "tenant-1"}
    activity["channelData"] = {"tenant": {"id": "tenant-1"}}
    return activity


async def stored_events(installed: Container, incident_id: str) -> list[tuple[str, str]]:
    return [(e.kind, e.summary) for e in await installed.dependencies.incidents.timeline(incident_id)]


async def security_incident(installed: Container) -> str:
    return await declare(installed, private="true", type="security", title=TITLE, severity="SEV1")


def refused(answer: dict[str, Any]) -> str:
    """The text of a refusal, as a card click or a message answers it."""
    text = str(answer.get("value", answer.get("text", "")))
    assert text.startswith("Sorry, only"), text
    assert TITLE not in text
    return text


async def test_an_outsider_cannot_make_themselves_deputy_of_a_security_incident_from_a_personal_chat(
        installed: Container) -> None:
    incident_id = await security_incident(installed)
    before = await stored_events(installed, incident_id)
    status, answer = await send(personal(teams_invoke(
        "incident.assign", {"incident_id": incident_id, "role": "deputy", "person": MALLORY[0]}, user=MALLORY)))
    assert status == 200
    assert "may fill a role of" in refused(answer)
    stored = await installed.dependencies.incidents.get(incident_id)
    assert "deputy" not in stored.roles
    assert await stored_events(installed, incident_id) == before


async def test_an_outsider_cannot_take_over_by_assigning_themselves_with_a_mention(installed: Container) -> None:
    incident_id = await security_incident(installed)
    activity = personal(teams_message(f"assign {incident_id} deputy <at>{MALLORY[1]}</at>", user=MALLORY))
    activity["entities"].append({"type": "mention", "text": f"<at>{MALLORY[1]}</at>",
                                 "mentioned": {"id": MALLORY[0], "name": MALLORY[1]}})
    status, body = await send(activity)
    assert status == 200
    refused(body["activities"][0])
    assert "deputy" not in (await installed.dependencies.incidents.get(incident_id)).roles


@pytest.mark.parametrize(("verb", "data"), [
    ("incident.ack", {}),
    ("incident.update", {"text": "all clear, stand down"}),
    ("incident.snooze", {"minutes": 1440}),
    ("plan.tick", {"step": 0}),
])
async def test_an_outsider_s_card_clicks_on_a_security_incident_are_refused_and_change_nothing(
        installed: Container, verb: str, data: dict[str, Any]) -> None:
    incident_id = await security_incident(installed)
    before = await stored_events(installed, incident_id)
    answer = await click(verb, {"incident_id": incident_id, **data}, user=MALLORY)
    refused(answer)
    stored = await installed.dependencies.incidents.get(incident_id)
    assert (stored.acknowledged_at, stored.last_update, stored.reminders_snoozed_until, stored.plan_done,
            stored.severity) == (None, "", None, (), "SEV1")
    assert await stored_events(installed, incident_id) == before


@pytest.mark.parametrize("command", ["ack {id}", "update {id} all clear, stand down", "resolve {id}"])
async def test_an_outsider_s_text_commands_on_a_security_incident_are_refused(installed: Container,
                                                                              command: str) -> None:
    incident_id = await security_incident(installed)
    before = await stored_events(installed, incident_id)
    answer = await say(command.format(id=incident_id), user=MALLORY)
    refused(answer)
    assert "attachments" not in answer  # not even the resolve form
    assert await stored_events(installed, incident_id) == before


async def test_the_people_of_a_security_incident_still_act_on_it(installed: Container) -> None:
    incident_id = await declare(installed, private="true", type="security", title=TITLE, invitees="29:bob")
    assert (await say(f"update {incident_id} isolating the file server", user=("29:bob", "Bob Durand")))["text"] == (
        f"Update posted on {incident_id}.")
    assert (await installed.dependencies.incidents.get(incident_id)).last_update == "isolating the file server"


@pytest.fixture
def with_entra_admin(policy: OrganisationPolicy, clock: Any, connector: ConnectorDouble) -> Iterator[Container]:
    """The bot with Dana an incident admin, listed in [teams] admins by her Entra object id."""
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=replace(policy, admins=("aad-dana",)), notifier=RecordingNotifier())
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def test_an_admin_listed_by_entra_object_id_may_see_and_steer_a_security_incident(
        with_entra_admin: Container) -> None:
    incident_id = await security_incident(with_entra_admin)
    changed = await click("incident.severity", {"incident_id": incident_id, "severity": "SEV2",
                                                "reason": "contained"}, user=DANA)
    assert TITLE in json.dumps(changed["value"])  # the full card, not the restricted one
    assert (await with_entra_admin.dependencies.incidents.get(incident_id)).severity == "SEV2"


async def test_anyone_may_still_fill_an_empty_role_of_a_public_incident(installed: Container) -> None:
    incident_id = await declare(installed)
    answer = await send(personal(teams_invoke(
        "incident.assign", {"incident_id": incident_id, "role": "deputy", "person": MALLORY[0]}, user=MALLORY)))
    assert answer[0] == 200 and answer[1]["type"] == "application/vnd.microsoft.card.adaptive"
    deputy = (await installed.dependencies.incidents.get(incident_id)).holder("deputy")
    assert deputy is not None and deputy.id == MALLORY[0]
