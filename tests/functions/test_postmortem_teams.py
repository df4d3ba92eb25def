"""The postmortem in Teams: its card, written and completed by Action.Execute, for the owner and managers only."""

from __future__ import annotations

import json
from typing import Any

from devopsbot.bootstrap import Container
from incident.lifecycle import Status
from tests.conftest import OUTAGE_CRITERIA
from tests.functions.test_teams_conversation import BOB, card_of, click, declare, inputs, say
from tests.support.connector import ConnectorDouble

WRITTEN = {"summary": "Release 42 broke card payments", "impact": "30% of checkouts failed",
           "went_well": "Rollback took 5 minutes", "went_wrong": "The canary missed card payments",
           "got_lucky": "A quiet morning", "contributing_factors": "No card payments in the canary\nAlerts fired late"}


async def resolved(installed: Container) -> str:
    incident_id = await declare(installed)  # SEV2: a postmortem is required
    await click("incident.resolve", {"incident_id": incident_id, "resolution": "Rolled back",
                                     **{f"criterion_{c}": "true" for c in OUTAGE_CRITERIA}})
    return incident_id


def body_texts(card: dict[str, Any]) -> str:
    return json.dumps(card["body"])


async def test_the_postmortem_card_asks_for_every_section_with_blameless_prompts(installed: Container) -> None:
    incident_id = await resolved(installed)
    card = card_of(await say(f"postmortem {incident_id}"))
    assert set(inputs(card)) == {"summary", "impact", "went_well", "went_wrong", "got_lucky", "contributing_factors"}
    assert "not people" in body_texts(card)
    verbs = {a.get("verb") for a in card["actions"]} | {
        a["verb"] for s in card["actions"] if s["type"] == "Action.ShowCard" for a in s["card"]["actions"]}
    assert {"postmortem.save", "postmortem.complete", "postmortem.followup", "postmortem.close"} <= verbs


async def test_the_owner_writes_adds_a_follow_up_completes_and_closes(installed: Container,
                                                                     connector: ConnectorDouble) -> None:
    incident_id = await resolved(installed)
    saved = await click("postmortem.save", {"incident_id": incident_id, **WRITTEN})
    assert inputs(saved["value"])["summary"]["value"] == WRITTEN["summary"]
    added = await click("postmortem.followup", {"incident_id": incident_id, "followup_title": "Canary covers payments",
                                                "followup_owner": "29:alice", "followup_due": "2027-01-15"})
    assert "#1 Canary covers payments (Alice Martin, due 2027-01-15, open)" in body_texts(added["value"])
    completed = await click("postmortem.complete", {"incident_id": incident_id})
    assert inputs(completed["value"]) == {}  # completed: read, no longer edited
    facts = {f["title"]: f["value"] for f in completed["value"]["body"][1]["facts"]}
    assert facts["Postmortem"] == "completed"
    closed = await click("postmortem.close", {"incident_id": incident_id})
    assert closed["type"] == "application/vnd.microsoft.card.adaptive"
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.CLOSED
    assert stored.postmortem is not None and stored.postmortem.contributing_factors == (
        "No card payments in the canary", "Alerts fired late")
    posted = json.dumps([m.activity for m in connector.messages()])
    assert f"/api/incidents/{incident_id}/document?format=html" in posted


async def test_someone_else_may_not_write_the_postmortem(installed: Container) -> None:
    incident_id = await resolved(installed)
    refused = await click("postmortem.save", {"incident_id": incident_id, "summary": "mine"}, user=BOB)
    assert refused["type"] == "application/vnd.microsoft.activity.message"
    assert "only the postmortem's owner" in refused["value"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.postmortem is not None and stored.postmortem.summary == ""


async def test_closing_before_the_postmortem_is_completed_is_refused(installed: Container) -> None:
    incident_id = await resolved(installed)
    refused = await click("postmortem.close", {"incident_id": incident_id, "override_reason": "no time"})
    assert "incident admin" in refused["value"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED


async def test_a_security_incidents_postmortem_is_shown_only_to_its_people(installed: Container) -> None:
    incident_id = await declare(installed, private="true", type="security", title="Ransomware on file server")
    await click("incident.resolve", {"incident_id": incident_id, "resolution": "Contained",
                                     "override_reason": "Legal is told tomorrow"})
    await click("postmortem.save", {"incident_id": incident_id, **WRITTEN, "summary": "Ransomware via VPN"})
    outsider = await say(f"postmortem {incident_id}", user=BOB)
    assert "Ransomware" not in json.dumps(outsider) and "attachments" not in outsider
    insider = card_of(await say(f"postmortem {incident_id}"))
    assert "Ransomware via VPN" in json.dumps(insider)
