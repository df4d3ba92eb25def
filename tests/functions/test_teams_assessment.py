"""The independent risk assessment through the Bot Framework protocol: asked in the incident's thread,
answered blind through Action.Execute, revealed in the thread, accepted by the commander; and the
deadline path through the timer, under time travel."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from services.timers import run_tick
from tests.functions.conftest import teams_message
from tests.functions.test_teams_conversation import card_of, click, declare, inputs, send, threads
from tests.support.card_check import buttons
from tests.support.connector import ConnectorDouble

ALICE = ("29:alice", "Alice Martin")
BOB = ("29:bob", "Bob Durand")
CHLOE = ("29:chloe", "Chloe Nguyen")
EVE = ("29:eve", "Eve Outsider")
CRITERIA = ("customer_impact", "security", "revenue", "reputation", "productivity")


async def ask(incident_id: str, text: str = "", people: tuple[tuple[str, str], ...] = ()) -> str:
    """``@devopsbot assess <id> ...``, @mentioning ``people``; the bot's reply text."""
    mentions = " ".join(f"<at>{name}</at>" for _, name in people)
    activity = teams_message(f"assess {incident_id} {text} {mentions}".strip())
    activity["entities"] += [{"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": pid, "name": name}}
                             for pid, name in people]
    status, body = await send(activity)
    assert status == 200
    return str(body["activities"][0]["text"])


def answer(incident_id: str, likelihood: str, impact: str, rating: int, comment: str = "") -> dict[str, Any]:
    return {"incident_id": incident_id, "round": 1, "likelihood": likelihood, "impact": impact, "comment": comment,
            **{f"rating_{key}": str(rating) for key in CRITERIA}}


async def assessment_card_now(installed: Container, connector: ConnectorDouble, incident_id: str) -> dict[str, Any]:
    """The assessment card in the thread as Teams shows it now: as posted, or as last updated."""
    ref = await installed.dependencies.conversations.get(incident_id, "assessment_card/1")
    assert ref is not None, "the assessment card was posted in the thread"
    versions = [s for s in connector.sent if s.activity_id == ref["activity_id"]]
    return dict(versions[-1].activity["attachments"][0]["content"])


def facts(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in card["body"]:
        if item.get("type") == "FactSet":
            found |= {f["title"]: f["value"] for f in item["facts"]}
    return found


async def test_answers_stay_hidden_until_the_last_then_the_reveal_is_accepted(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed, severity="SEV3", responder="29:bob")
    thread = threads(connector)[0].conversation_id
    reply = await ask(incident_id, people=(ALICE, BOB, CHLOE))
    assert reply.startswith(f"Risk assessment #1 of {incident_id} asked of Alice Martin, Bob Durand, Chloe Nguyen.")

    posted = await assessment_card_now(installed, connector, incident_id)
    assert posted["refresh"]["userIds"] == ["29:alice", "29:bob", "29:chloe"]
    assert {e["mentioned"]["id"] for e in posted["msteams"]["entities"]} == {"29:alice", "29:bob", "29:chloe"}
    assert facts(posted)["Waiting for"] == "Alice Martin, Bob Durand, Chloe Nguyen"

    form = (await click("assessment.refresh", {"incident_id": incident_id, "round": 1}, user=BOB))["value"]
    assert {"likelihood", "impact", "comment", *(f"rating_{k}" for k in CRITERIA)} <= set(inputs(form))
    outsider = (await click("assessment.refresh", {"incident_id": incident_id, "round": 1}, user=EVE))["value"]
    assert inputs(outsider) == {}, "someone not asked gets the thread's card, not a form"

    mine = (await click("assessment.answer", answer(incident_id, "Almost certain", "Severe", 3, "secret-alice"),
                        user=ALICE))["value"]
    assert any("Your answer is in (1 of 3)" in str(b.get("text")) for b in mine["body"])
    await click("assessment.answer", answer(incident_id, "Likely", "Major", 3), user=BOB)

    # Before the last answer: nothing anyone else can see holds a value.
    seen = json.dumps([s.activity for s in connector.sent])
    seen += json.dumps(await click("assessment.refresh", {"incident_id": incident_id, "round": 1}, user=EVE))
    seen += json.dumps([(e.summary, e.after) for e in await installed.dependencies.incidents.timeline(incident_id)])
    for value in ("Almost certain", "Severe", "secret-alice"):
        assert value not in seen
    assert facts(await assessment_card_now(installed, connector, incident_id))["Answered"] == (
        "Alice Martin, Bob Durand (2/3)")

    last = (await click("assessment.answer", answer(incident_id, "Likely", "Major", 3), user=CHLOE))["value"]
    revealed = await assessment_card_now(installed, connector, incident_id)
    assert last == revealed, "the last assessor sees the reveal, as the thread does"
    shown = facts(revealed)
    # Likelihood ranks 5, 4, 4: geometric mean 80^(1/3) ≈ 4.31, nearest Likely; Likely x Major = 16: High → SEV2.
    assert shown["Likelihood"] == "Likely (geometric mean of the ranks 4.31, spread 1)"
    assert shown["Differed most"] == "likelihood: Alice Martin; impact: Alice Martin"
    assert (shown["Risk level"], shown["Proposed severity"], shown["Priority"]) == (
        "High (score 16)", "SEV2 (now SEV3)", "P2 (score 3.00)")
    assert any("secret-alice" in str(b.get("text")) for b in revealed["body"]), "revealed: every answer shown"
    told = [m.activity.get("text", "") for m in connector.messages() if m.conversation_id == thread]
    assert any("risk assessment #1 is revealed" in text and "<at>Alice Martin</at>" in text for text in told)

    refused = await click("assessment.accept", {"incident_id": incident_id, "round": 1}, user=BOB)
    assert refused["value"].startswith("Sorry, only the commander")
    decided = (await click("assessment.accept", {"incident_id": incident_id, "round": 1}, user=ALICE))["value"]
    assert any(b.get("text") == "Accepted by Alice Martin: SEV2, P2." for b in decided["body"])
    stored = await installed.dependencies.incidents.get(incident_id)
    assert (stored.severity, stored.priority) == ("SEV2", "P2")
    kinds = [e.kind for e in await installed.dependencies.incidents.timeline(incident_id)]
    assert kinds[-3:] == ["assessment_accepted", "severity_changed", "priority_changed"]


async def test_the_deadline_reveals_what_is_in(installed: Container, connector: ConnectorDouble,
                                               clock: FixedClock) -> None:
    incident_id = await declare(installed, severity="SEV3", responder="29:bob")
    reply = await ask(incident_id, "10")  # nobody mentioned: the role holders are asked
    assert "asked of Alice Martin, Bob Durand" in reply and "10:10 UTC" in reply
    await click("assessment.answer", answer(incident_id, "Rare", "Minor", 1), user=BOB)
    clock.advance(timedelta(minutes=9))
    await run_tick(installed.bus, clock.now())
    assert "Rare" not in json.dumps(await assessment_card_now(installed, connector, incident_id))

    clock.advance(timedelta(minutes=2))
    report = await run_tick(installed.bus, clock.now())
    assert report.kinds.get("assessment_deadline") == 1
    revealed = await assessment_card_now(installed, connector, incident_id)
    assert facts(revealed)["Risk level"] == "Low (score 2)"
    assert any(b.get("text") == "Not answered: Alice Martin" for b in revealed["body"])
    late = await click("assessment.answer", answer(incident_id, "Likely", "Major", 3), user=ALICE)
    assert "already revealed" in late["value"]


async def test_overriding_needs_a_reason_and_keeps_it(installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed, severity="SEV3")
    await ask(incident_id)
    await click("assessment.answer", answer(incident_id, "Rare", "Minor", 1), user=ALICE)
    without = await click("assessment.override", {"incident_id": incident_id, "round": 1, "severity": "SEV1",
                                                  "priority": "P1", "reason": ""})
    assert "needs a reason" in without["value"]
    done = (await click("assessment.override", {"incident_id": incident_id, "round": 1, "severity": "SEV1",
                                                "priority": "P1", "reason": "the regulator called"}))["value"]
    assert any(b.get("text") == "Overridden by Alice Martin: SEV1, P1. Reason: the regulator called"
               for b in done["body"])
    stored = await installed.dependencies.incidents.get(incident_id)
    assert (stored.severity, stored.priority) == ("SEV1", "P1")


async def test_the_incident_card_shows_the_effort_of_its_severity(installed: Container,
                                                                  connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    card = card_of(await send_status(incident_id))
    effort = facts(card)["Effort for SEV2"]
    assert effort.startswith("staffed by Incident commander")
    assert "update every 30 min" in effort and "acknowledge within 15 min" in effort


async def send_status(incident_id: str) -> dict[str, Any]:
    status, body = await send(teams_message(f"status {incident_id}"))
    assert status == 200
    return dict(body["activities"][0])


async def test_a_security_incidents_assessment_is_not_shown_to_outsiders(installed: Container,
                                                                         connector: ConnectorDouble) -> None:
    incident_id = await declare(installed, private="true")
    await ask(incident_id)
    mine = (await click("assessment.refresh", {"incident_id": incident_id, "round": 1}))["value"]
    assert "likelihood" in inputs(mine)
    outsider = await click("assessment.refresh", {"incident_id": incident_id, "round": 1}, user=EVE)
    assert outsider["value"].startswith("Sorry, ") and "security incident" in outsider["value"]


async def test_the_incident_cards_assess_button_asks_the_role_holders(installed: Container,
                                                                      connector: ConnectorDouble) -> None:
    incident_id = await declare(installed, responder="29:bob")
    commander_view = (await click("incident.refresh", {"incident_id": incident_id}))["value"]
    assert any(a.get("verb") == "assessment.request" for a in buttons(commander_view))
    refused = await click("assessment.request", {"incident_id": incident_id}, user=BOB)
    assert refused["value"].startswith("Sorry, only the commander")
    answer_card = (await click("assessment.request", {"incident_id": incident_id}))["value"]
    assert answer_card["body"][0]["text"].startswith(f"Incident {incident_id}")
    posted = await assessment_card_now(installed, connector, incident_id)
    assert posted["refresh"]["userIds"] == ["29:alice", "29:bob"]
