"""The commander's whole happy path through the Agents Playground and the real local host on Azurite, as a
person sees it: declare from General with the short form (essentials only), Acknowledge, a status button,
``update``, ``severity SEV1``, resolve through the exit criteria, then the postmortem opened, filled and
completed. Run once with nothing configured and once with a roster and an approved playbook for the service.
After each run the Playground fixture asserts that no message of the bot was refused and that no traceback
reached the host's log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique_prefix
from tests.e2e.test_playground_incident import card, heading
from tests.support.card_check import buttons
from tests.support.playground import Event, Playground, thread_id
from tests.support.processes import ROOT, Service, devopsbot_host

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]

ALICE = "Alice Martin <29:alice> alice@contoso.example"
BOB = "Bob Durand <29:bob> bob@contoso.example"
CHLOE = "Chloe Nguyen <29:chloe> chloe@contoso.example"
APOLOGY = "Sorry, something went wrong"  # reply.failure: what a person sees when the bot fails
ESSENTIALS = {"title", "severity", "type", "commander", "private"}
PLAYBOOK = """# Checkout
Owner: Payments team
Last tested: {today}

## Symptoms
Card payments time out.
## Diagnosis
Gateway latency on the checkout dashboard.
## Mitigation
Fail over to the secondary gateway.
## Rollback
Redeploy the previous release.
## Verification of recovery
Errors below 1% for 10 minutes.
## Contacts
Payments on-call.
"""


def cli(settings: Mapping[str, str], *args: str) -> None:
    """``python -m devopsbot`` with the host's settings, as an operator prepares storage before starting it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")} | dict(settings)
    done = subprocess.run([sys.executable, "-m", "devopsbot", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"


def configure_roster_and_playbook(settings: Mapping[str, str], workdir: Path) -> None:
    """Every critical role held (a primary and a delegate) for checkout, and its playbook approved by another."""
    for role, chain in (("commander", (ALICE, BOB)), ("deputy", (BOB, CHLOE)),
                        ("communications_lead", (CHLOE, ALICE)), ("security_lead", (BOB, ALICE))):
        cli(settings, "roster", "--as", ALICE, "set", "checkout", role, *chain)
    source = workdir / "checkout.md"
    source.write_text(PLAYBOOK.format(today=datetime.now(UTC).date().isoformat()), encoding="utf-8")
    cli(settings, "playbook", "--as", CHLOE, "submit", "checkout", str(source))
    cli(settings, "playbook", "--as", BOB, "approve", "checkout", "1")


@pytest.fixture(params=["nothing configured", "roster and playbook"])
def configured(request: pytest.FixtureRequest) -> bool:
    """Whether the organisation has a roster and an approved checkout playbook."""
    return bool(request.param == "roster and playbook")


@pytest.fixture
def host_service(azurite: str, tmp_path_factory: pytest.TempPathFactory, configured: bool) -> Iterator[Service]:
    """The local host (as in conftest.py), its storage prepared through the CLI first when ``configured``."""
    workdir = tmp_path_factory.mktemp("host")
    settings = {"DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}
    if configured:
        configure_roster_and_playbook(settings, workdir)
    with devopsbot_host(workdir, settings) as host:
        yield host


def facts(content: dict[str, Any]) -> dict[str, str]:
    found = next(b for b in content["body"] if b.get("type") == "FactSet")
    return {f["title"]: f["value"] for f in found["facts"]}


def titles(content: dict[str, Any]) -> list[str]:
    return [str(a.get("title")) for a in content.get("actions") or []]


def ticked(plan: dict[str, Any]) -> dict[str, bool]:
    """A plan card's steps: their text → ticked."""
    steps = {}
    for row in plan["body"]:
        if row.get("type") == "ColumnSet":
            box, text = (column["items"][0]["text"] for column in row["columns"][:2])
            steps[text.split(" — ")[0]] = box == "☑"
    return steps


def text_of(event: Event) -> str:
    return str(event["message"].get("text") or "")


async def test_the_commanders_happy_path_moves_the_cards(playground: Playground, configured: bool) -> None:
    [team] = playground.mock["teams"]
    general, broadcast = team["channels"][0]["id"], team["channels"][1]["id"]
    me = playground.current_user["id"]

    # The short form: the essentials in view, the rest folded behind "More details".
    start = mark = playground.mark()
    posted = await playground.send_message(general, "declare Checkout failing")
    form = await playground.wait_for_message(lambda e: heading(e) == "Declare an incident",
                                             conversation_id=posted["postConversationId"], since=mark, timeout=30)
    body = card(form)["body"]
    in_view = {i["id"] for i in body if str(i.get("type", "")).startswith("Input.")}
    assert in_view == ESSENTIALS
    folded = next(i for i in body if i.get("id") == "more_details")
    assert folded["isVisible"] is False and {i["id"] for i in folded["items"]} >= {"services", "summary"}

    # Essentials only (and, with a playbook to attach, the service it covers).
    mark = playground.mark()
    submitted = {"form_id": "e2e-flow-0001", "title": "Checkout failing", "severity": "SEV2", "type": "outage",
                 "commander": me, "private": "false", **({"services": "checkout"} if configured else {})}
    answer = await playground.invoke_action(thread_id(form), form["message"]["messageId"], "declare.submit",
                                            submitted)
    declared = answer["value"]["body"][0]["text"]
    assert declared.startswith("Declared INC-"), answer
    incident_id = declared.split(":")[0].removeprefix("Declared ")
    space = await playground.wait_for_message(lambda e: heading(e).startswith(f"Incident {incident_id}"),
                                              conversation_id=general, since=mark, timeout=30)
    announcement = await playground.wait_for_message(lambda e: heading(e).startswith(f"Incident {incident_id}"),
                                                     conversation_id=broadcast, since=mark, timeout=30)
    space_thread, space_id = thread_id(space), space["message"]["messageId"]
    plan = await playground.wait_for_message(lambda e: heading(e) == "Response plan: Outage",
                                             conversation_id=space_thread, since=mark, timeout=30)
    assert heading(space) == f"Incident {incident_id} · SEV2 · Declared — Checkout failing"
    assert facts(card(space))["Status"] == "Declared" and "Acknowledge" in titles(card(space))
    assert not any(ticked(card(plan)).values())
    if configured:  # the roster filled the required role, the approved playbook is one click away
        assert facts(card(space))["Communications lead"] == "Chloe Nguyen"
        assert "Playbook: checkout v1" in titles(card(space))

    # Acknowledge: the status follows, the button goes, the plan's step ticks itself.
    mark = playground.mark()
    acked = await playground.invoke_action(space_thread, space_id, "incident.ack", {"incident_id": incident_id})
    assert facts(acked["value"])["Status"] == "Investigating"
    assert facts(acked["value"])["Acknowledged"].startswith("Alice Martin")
    assert "Acknowledge" not in titles(acked["value"])
    plan_now = await playground.wait_for_message(
        lambda e: e["message"]["messageId"] == plan["message"]["messageId"], action="updateMessage", since=mark,
        timeout=30)
    assert ticked(card(plan_now))["Acknowledge and take command"] is True
    await playground.wait_for_message(lambda e: e["message"]["messageId"] == announcement["message"]["messageId"]
                                      and "· Investigating —" in heading(e), action="updateMessage", since=mark,
                                      timeout=30)

    # The commander's own view has the status buttons; Identified moves the card.
    mine = await playground.invoke_action(space_thread, space_id, "incident.refresh", {"incident_id": incident_id})
    change = next(a for a in buttons(mine["value"]) if a["title"] == "Change status")  # the managers' row
    moves = {a["title"]: a for a in change["card"]["actions"]}
    assert set(moves) == {"Identified", "Monitoring"}
    identified = await playground.invoke_action(space_thread, space_id, moves["Identified"]["verb"],
                                                moves["Identified"]["data"])
    assert facts(identified["value"])["Status"] == "Identified"
    assert identified["value"]["body"][0]["text"] == f"Incident {incident_id} · SEV2 · Identified — Checkout failing"

    # An update by text: the cards carry it, the plan's update step ticks itself.
    mark = playground.mark()
    await playground.send_message(space_thread, "update Rolled back release 42, watching error rates")
    told = await playground.wait_for_message(lambda e: text_of(e) == f"Update posted on {incident_id}.",
                                             conversation_id=space_thread, since=mark, timeout=30)
    assert told
    refreshed = await playground.wait_for_message(
        lambda e: e["message"]["messageId"] == announcement["message"]["messageId"]
        and "Rolled back release 42" in json.dumps(card(e)), action="updateMessage", since=mark, timeout=30)
    assert facts(card(refreshed))["Status"] == "Identified"
    plan_now = await playground.wait_for_message(
        lambda e: e["message"]["messageId"] == plan["message"]["messageId"]
        and ticked(card(e))["Post the first status update"], action="updateMessage", since=mark, timeout=30)
    assert ticked(card(plan_now))["Acknowledge and take command"] is True

    # SEV1: said in the thread, announced in the broadcast thread, the announcement's heading follows.
    mark = playground.mark()
    await playground.send_message(space_thread, "severity SEV1 every customer is affected")
    await playground.wait_for_message(lambda e: text_of(e) == f"{incident_id} is now SEV1.",
                                      conversation_id=space_thread, since=mark, timeout=30)
    news = await playground.wait_for_message(lambda e: f"{incident_id} is now **SEV1**" in text_of(e),
                                             conversation_id=thread_id(announcement), since=mark, timeout=30)
    assert "severity raised from SEV2" in text_of(news) and "Checkout failing" in text_of(news)
    await playground.wait_for_message(
        lambda e: e["message"]["messageId"] == announcement["message"]["messageId"]
        and heading(e) == f"Incident {incident_id} · SEV1 · Identified — Checkout failing",
        action="updateMessage", since=mark, timeout=30)

    # Resolve through the exit criteria: the card says what comes next, the broadcast thread hears it.
    mine = await playground.invoke_action(space_thread, space_id, "incident.refresh", {"incident_id": incident_id})
    resolve = next(a for a in buttons(mine["value"]) if a["title"] == "Resolve")
    form_card = await playground.invoke_action(space_thread, space_id, resolve["verb"], resolve["data"])
    criteria = [i["id"] for i in form_card["value"]["body"] if i.get("type") == "Input.Toggle"]
    assert criteria == ["criterion_service_restored", "criterion_monitoring_green", "criterion_customers_told"]
    mark = playground.mark()
    resolved = await playground.invoke_action(space_thread, space_id, "incident.resolve", {
        "incident_id": incident_id, **dict.fromkeys(criteria, "true"), "resolution": "Rolled back release 42"})
    shown = facts(resolved["value"])
    assert shown["Status"] == "Resolved" and "Next update due" not in shown
    assert shown["Next"].startswith("Postmortem by Alice Martin, due ")
    assert [a for a in buttons(resolved["value"]) if a["type"] != "Action.OpenUrl"] == []  # only playbook links
    told = await playground.wait_for_message(lambda e: text_of(e).startswith(f"Resolved {incident_id}"),
                                             conversation_id=thread_id(announcement), since=mark, timeout=30)
    assert "Rolled back release 42" in text_of(told)

    # The postmortem: opened in the thread, its required sections saved, a follow-up added, then completed.
    mark = playground.mark()
    await playground.send_message(space_thread, "postmortem")
    opened = await playground.wait_for_message(lambda e: heading(e) == f"{incident_id} postmortem: Checkout failing",
                                               conversation_id=space_thread, since=mark, timeout=30)
    pm_id = opened["message"]["messageId"]
    assert facts(card(opened))["Postmortem"] == "in progress"
    save = next(a for a in card(opened)["actions"] if a["title"] == "Save")
    saved = await playground.invoke_action(space_thread, pm_id, "postmortem.save", {
        **save["data"], "summary": "Release 42 broke card payments.", "impact": "Checkout failed for 20 minutes.",
        "went_well": "", "went_wrong": "The canary did not cover payments.", "got_lucky": "",
        "contributing_factors": "No payment check in the canary"})
    assert saved["value"]["body"][0]["text"] == f"{incident_id} postmortem: Checkout failing", saved
    due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    followed = await playground.invoke_action(space_thread, pm_id, "postmortem.followup", {
        "incident_id": incident_id, "followup_title": "Cover payments in the canary", "followup_owner": me,
        "followup_due": due, "followup_link": ""})
    assert f"#1 Cover payments in the canary (Alice Martin, due {due}, open)" in json.dumps(followed["value"])
    completed = await playground.invoke_action(space_thread, pm_id, "postmortem.complete",
                                               {"incident_id": incident_id})
    assert facts(completed["value"])["Postmortem"] == "completed", completed
    # The incident card in the thread now says the incident can be closed.
    mine = await playground.invoke_action(space_thread, space_id, "incident.refresh", {"incident_id": incident_id})
    assert facts(mine["value"])["Next"] == "The postmortem is complete: the incident can be closed."
    # Nothing the bot said on the way was an apology.
    said = [text_of(e) + json.dumps(card(e)) for e in playground.events[start:] if e.get("message")]
    assert not [s for s in said if APOLOGY in s], playground.describe(start)
