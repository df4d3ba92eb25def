"""The main path end to end through the Agents Playground (local Teams) and the real local host on Azurite:
declare from a channel, fill the card, see the incident thread and the announcement in the broadcast
channel, post an update, resolve against the exit criteria."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.card_check import buttons
from tests.support.playground import Playground, thread_id

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]


def card(event: dict[str, Any]) -> dict[str, Any]:
    attachments = event["message"].get("attachments") or []
    return dict(attachments[0]["content"]) if attachments else {}


def heading(event: dict[str, Any]) -> str:
    body = card(event).get("body") or [{}]
    return str(body[0].get("text", ""))


async def test_declare_update_and_resolve_in_the_playground(playground: Playground) -> None:
    [team] = playground.mock["teams"]
    general, broadcast = team["channels"][0]["id"], team["channels"][1]["id"]
    me = playground.current_user["id"]

    mark = playground.mark()
    posted = await playground.send_message(general, "declare Checkout failing")
    form = await playground.wait_for_message(lambda e: heading(e) == "Declare an incident",
                                             conversation_id=posted["postConversationId"], since=mark, timeout=30)
    fields = {i["id"]: i for i in card(form)["body"] if str(i.get("type", "")).startswith("Input.")}
    assert fields["title"]["value"] == "Checkout failing"
    assert me in {c["value"] for c in fields["commander"]["choices"]}

    mark = playground.mark()
    answer = await playground.invoke_action(thread_id(form), form["message"]["messageId"], "declare.submit", {
        "form_id": "e2e-form-0001", "title": "Checkout failing", "summary": "Card payments time out",
        "type": "outage", "affects_customers": "true", "unplanned": "true", "long_running": "true",
        "services": "checkout", "environments": "production", "regions": "westeurope", "severity": "SEV2",
        "commander": me, "responder": "29:bob", "invitees": "", "private": "false", "broadcast": "broadcast"})
    declared = answer["value"]["body"][0]["text"]
    assert declared.startswith("Declared INC-"), answer
    incident_id = declared.split(":")[0].removeprefix("Declared ")

    space = await playground.wait_for_message(lambda e: heading(e).startswith(f"Incident {incident_id}"),
                                              conversation_id=general, since=mark, timeout=30)
    announcement = await playground.wait_for_message(lambda e: heading(e).startswith(f"Incident {incident_id}"),
                                                     conversation_id=broadcast, since=mark, timeout=30)
    space_thread = thread_id(space)
    invitation = await playground.wait_for_message(lambda e: "is declared" in (e["message"].get("text") or ""),
                                                   conversation_id=space_thread, since=mark, timeout=30)
    assert "Bob Durand" in invitation["message"]["text"]
    await playground.wait_for_message(lambda e: heading(e) == "Response plan: Outage",
                                      conversation_id=space_thread, since=mark, timeout=30)

    mark = playground.mark()
    await playground.send_message(space_thread, "update Rolled back release 42, watching error rates")
    refreshed = await playground.wait_for_message(
        lambda e: e["message"]["messageId"] == announcement["message"]["messageId"]
        and "Rolled back release 42" in json.dumps(card(e)), action="updateMessage", since=mark, timeout=30)
    assert heading(refreshed).startswith(f"Incident {incident_id}")

    # Teams shows the commander their own view of the card (a refresh); it has the Resolve button.
    commander_view = await playground.invoke_action(space_thread, space["message"]["messageId"], "incident.refresh",
                                                    {"incident_id": incident_id})
    resolve = next(a for a in buttons(commander_view["value"]) if a["title"] == "Resolve")
    form = await playground.invoke_action(space_thread, space["message"]["messageId"], resolve["verb"],
                                          resolve["data"])
    assert [i["id"] for i in form["value"]["body"] if i.get("type") == "Input.Toggle"] == [
        "criterion_service_restored", "criterion_monitoring_green", "criterion_customers_told"]
    mark = playground.mark()
    resolved = await playground.invoke_action(space_thread, space["message"]["messageId"], "incident.resolve", {
        "incident_id": incident_id, "criterion_service_restored": "true", "criterion_monitoring_green": "true",
        "criterion_customers_told": "true", "resolution": "Rolled back release 42"})
    facts = {f["title"]: f["value"] for f in resolved["value"]["body"][2]["facts"]}
    assert facts["Status"] == "Resolved"
    told = await playground.wait_for_message(
        lambda e: (e["message"].get("text") or "").startswith(f"Resolved {incident_id}"),
        conversation_id=thread_id(announcement), since=mark, timeout=30)
    assert "Rolled back release 42" in told["message"]["text"]


async def test_a_security_incident_never_appears_in_general_or_the_broadcast_channel(playground: Playground) -> None:
    """`make run` has no Microsoft Graph: the incident has no space, and its people are told one by one."""
    [team] = playground.mock["teams"]
    general, broadcast = team["channels"][0]["id"], team["channels"][1]["id"]
    me = playground.current_user["id"]

    mark = playground.mark()
    posted = await playground.send_message(general, "declare Ransomware on the file server")
    form = await playground.wait_for_message(lambda e: heading(e) == "Declare an incident",
                                             conversation_id=posted["postConversationId"], since=mark, timeout=30)
    mark = playground.mark()
    answer = await playground.invoke_action(thread_id(form), form["message"]["messageId"], "declare.submit", {
        "form_id": "e2e-form-0002", "title": "Ransomware on the file server", "summary": "Shares encrypted",
        "type": "security", "affects_customers": "true", "unplanned": "true", "long_running": "true",
        "severity": "SEV1", "commander": me, "responder": "29:bob", "invitees": "", "private": "true",
        "broadcast": "broadcast"})
    declared = answer["value"]["body"][0]["text"]
    assert declared.startswith("Declared INC-") and "Ransomware" not in declared, answer
    assert "This is a security incident, so I did not open a thread in General" in declared
    incident_id = declared.split(":")[0].removeprefix("Declared ")

    # The declarer hears of it in their personal chat: a word, then the incident card (the last thing sent).
    told = await playground.wait_for_message(
        lambda e: f"You are in security incident {incident_id}" in (e["message"].get("text") or ""),
        since=mark, timeout=30)
    await playground.wait_for_message(lambda e: heading(e).startswith(f"Incident {incident_id}"),
                                      conversation_id=told["actionConversationId"], since=mark, timeout=30)
    assert told["actionConversationId"].split(";")[0] not in (general, broadcast)
    shared = [e for e in playground.events[mark:]
              if str(e.get("actionConversationId", "")).split(";")[0] in (general, broadcast)
              or str((e.get("message") or {}).get("postConversationId", "")).split(";")[0] in (general, broadcast)]
    assert shared == [], playground.describe(mark)
