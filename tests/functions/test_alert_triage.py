"""``action = "triage"``: one card in the incidents channel per firing alert, through the alert endpoint and the
Bot Framework protocol (the connector double records what is posted and updated). People declare, attach or
dismiss; the deadline declares or dismisses as the rule says; whoever comes first decides, once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from incident.roster import RosterEntry
from incident.signals import AlertRule, RuleAction
from services.timers import run_tick
from tests.conftest import ALICE
from tests.functions.alerts_support import SECRETS, answer, post
from tests.functions.test_teams_conversation import BOB, click, say
from tests.support.connector import ConnectorDouble, Sent

ALERT: dict[str, Any] = {
    "id": "capture-failures", "status": "firing", "summary": "Failed captures above 50 in 10 minutes",
    "severity": "warning", "service": "payments", "started_at": "2026-11-27T09:55:00Z",
    "links": ["https://logs.contoso.example/q/captures"], "labels": {"kind": "log-search"}}
PAGE: dict[str, Any] = {  # the shipped rules declare it: an open incident of payments
    "id": "payments-5xx", "status": "firing", "summary": "Payments answer 5xx", "severity": "critical",
    "service": "payments", "started_at": "2026-11-27T09:50:00Z"}


def triaging(policy: OrganisationPolicy, after: str = "dismiss") -> OrganisationPolicy:
    rule = AlertRule(name="log-search", action=RuleAction.TRIAGE, labels={"kind": "log-search"},
                     triage_deadline=timedelta(minutes=30), after_deadline=after)
    return replace(policy, alerts=replace(policy.alerts, rules=(rule, *policy.alerts.rules)))


def app(policy: OrganisationPolicy, clock: FixedClock) -> Container:
    container = Container(Settings(storage_connection_string="memory", alert_secrets=tuple(SECRETS.items())),
                          clock=clock, in_memory=True, policy=policy)
    bootstrap.reset_container(container)
    return container


@pytest.fixture
def triage(policy: OrganisationPolicy, clock: FixedClock, connector: ConnectorDouble) -> Iterator[Container]:
    yield app(triaging(policy), clock)
    bootstrap.reset_container(None)


@pytest.fixture
def triage_declares(policy: OrganisationPolicy, clock: FixedClock,
                    connector: ConnectorDouble) -> Iterator[Container]:
    yield app(triaging(policy, after="declare"), clock)
    bootstrap.reset_container(None)


async def fire(body: dict[str, Any] = ALERT) -> dict[str, Any]:
    response = await post("generic", body)
    assert response.status_code == 202, response.get_body()
    await bootstrap.get_container().bus.drain()
    [taken] = answer(response)["signals"]
    return dict(taken)


def content(activity: dict[str, Any]) -> dict[str, Any]:
    [attachment] = activity["attachments"]
    return dict(attachment["content"])


def cards(connector: ConnectorDouble) -> list[Sent]:
    """The triage cards posted in the incidents (broadcast) channel (an incident's announcement is there too)."""
    return [s for s in connector.messages("thread") if s.conversation_id.startswith("channel-broadcast")
            and content(s.activity)["body"][0]["text"].startswith("Alert to triage")]


def the_card(connector: ConnectorDouble) -> tuple[Sent, dict[str, Any]]:
    """The one triage card posted, and its content as it now stands (its latest update, if any)."""
    [posted] = cards(connector)
    updates = [u for u in connector.messages("update") if u.activity_id == posted.activity_id]
    return posted, content(updates[-1].activity if updates else posted.activity)


def texts(card: dict[str, Any]) -> str:
    parts = []
    for item in card["body"]:
        parts.append(str(item.get("text", "")))
        parts.extend(f"{f['title']}: {f['value']}" for f in item.get("facts", []))
    return "\n".join(parts)


def verbs(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in card.get("actions", [])]


def signal_of(card: dict[str, Any]) -> str:
    return str(card["actions"][0]["data"]["signal"])


async def ready() -> None:
    await say("help")  # the bot learns its team (where the incidents channel is)


async def test_a_triaged_alert_posts_one_card_with_its_facts_deadline_and_buttons(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    taken = await fire()
    assert taken["outcome"].startswith("awaiting triage (rule log-search)") and taken["incident"] == ""
    _, card = the_card(connector)
    shown = texts(card)
    for fact in ("Failed captures above 50 in 10 minutes", "Source: generic", "Service: payments",
                 "Severity: SEV3", "Received: 1 time(s)", "https://logs.contoso.example/q/captures",
                 "dismissed automatically at {{DATE(2026-11-27T10:30:00Z, SHORT)}} {{TIME(2026-11-27T10:30:00Z)}}"):
        assert fact in shown, fact
    assert verbs(card) == ["triage.declare", "triage.dismiss"]  # no open incident of payments to attach to
    assert await triage.dependencies.incidents.list_open() == []


async def test_declare_on_the_card_declares_with_the_roster_commander_once_whoever_clicks_again(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    on_call = replace(ALICE, id="29:chloe", name="Chloe Nguyen")
    await triage.dependencies.roster.put(RosterEntry("*", "commander", on_call))
    await fire()
    _, card = the_card(connector)
    key = signal_of(card)
    first, again = await asyncio.gather(click("triage.declare", {"signal": key}),
                                        click("triage.declare", {"signal": key}, user=BOB))
    [incident] = await triage.dependencies.incidents.list_open()
    assert incident.services == ("payments",) and incident.severity == "SEV3"
    assert incident.holder("commander") == on_call  # the roster's, as the declare rule does
    said = {texts(first["value"]), texts(again["value"])}
    assert len(said) == 1 and f"Declared {incident.id} by " in said.pop()
    assert "actions" not in first["value"] or first["value"]["actions"] == []
    _, now = the_card(connector)
    assert f"Declared {incident.id} by " in texts(now) and verbs(now) == []
    assert len(cards(connector)) == 1  # updated in place, never posted again
    assert triage.dependencies.audit is not None
    audited = [r for r in await triage.dependencies.audit.on_day(triage.clock.now())
               if r.kind == "alert_triaged"]
    assert [r.detail["decision"] for r in audited] == ["declared"]
    assert audited[0].detail["by"] in ("29:alice", "29:bob")


async def test_attach_offers_the_open_incidents_of_the_service_and_attaches_to_the_chosen_one(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    incident_id = (await fire(PAGE))["incident"]
    await fire()
    _, card = the_card(connector)
    [choice_set] = [i for i in card["body"] if i["type"] == "Input.ChoiceSet"]
    assert [c["value"] for c in choice_set["choices"]] == [incident_id]
    assert verbs(card) == ["triage.declare", "triage.attach", "triage.dismiss"]
    reply = await click("triage.attach", {"signal": signal_of(card), "incident_id": incident_id})
    assert f"Attached to {incident_id} by Alice Martin." in texts(reply["value"])
    timeline = await triage.dependencies.incidents.timeline(incident_id)
    assert [e.kind for e in timeline].count("signal_attached") == 1
    assert len(await triage.dependencies.incidents.list_open()) == 1


async def test_dismiss_closes_the_card_saying_who_and_a_later_click_changes_nothing(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    _, card = the_card(connector)
    reply = await click("triage.dismiss", {"signal": signal_of(card)}, user=BOB)
    assert "Dismissed by Bob Durand." in texts(reply["value"])
    late = await click("triage.declare", {"signal": signal_of(card)})
    assert "Dismissed by Bob Durand." in texts(late["value"])
    assert await triage.dependencies.incidents.list_open() == []
    assert triage.dependencies.signals is not None
    [stored] = await triage.dependencies.signals.since(triage.clock.now() - timedelta(hours=1))
    assert stored.outcome == "triage: dismissed by Bob Durand"


async def test_the_deadline_dismisses_an_undecided_card_the_auto_close_of_alerts_that_never_resolve(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    triage.clock.advance(timedelta(minutes=29))
    await run_tick(triage.bus, triage.clock.now())
    assert verbs(the_card(connector)[1]) == ["triage.declare", "triage.dismiss"]
    triage.clock.advance(timedelta(minutes=2))
    report = await run_tick(triage.bus, triage.clock.now())
    assert report.acted == 1
    _, card = the_card(connector)
    assert "Dismissed automatically at the deadline." in texts(card) and verbs(card) == []
    assert await triage.dependencies.incidents.list_open() == []


async def test_the_deadline_declares_when_the_rule_says_so(triage_declares: Container,
                                                           connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    triage_declares.clock.advance(timedelta(minutes=31))
    await run_tick(triage_declares.bus, triage_declares.clock.now())
    [incident] = await triage_declares.dependencies.incidents.list_open()
    _, card = the_card(connector)
    assert f"Declared {incident.id} automatically at the deadline." in texts(card)


async def test_a_click_racing_the_deadline_makes_one_decision(triage_declares: Container,
                                                                connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    key = signal_of(the_card(connector)[1])
    triage_declares.clock.advance(timedelta(minutes=30))
    reply, _ = await asyncio.gather(click("triage.dismiss", {"signal": key}),
                                    run_tick(triage_declares.bus, triage_declares.clock.now()))
    await run_tick(triage_declares.bus, triage_declares.clock.now() + timedelta(minutes=10))  # any retry
    incidents = await triage_declares.dependencies.incidents.list_open()
    _, card = the_card(connector)
    if incidents:  # the deadline came first: the click is told what it decided
        assert f"Declared {incidents[0].id} automatically at the deadline." in texts(card)
        assert len(incidents) == 1
    else:
        assert "Dismissed by Alice Martin." in texts(card)
    if reply["type"] == "application/vnd.microsoft.card.adaptive":
        assert texts(reply["value"]).split("\n")[-2:] == texts(card).split("\n")[-2:]
    assert triage_declares.dependencies.audit is not None
    audited = [r for r in await triage_declares.dependencies.audit.on_day(
        triage_declares.clock.now()) if r.kind == "alert_triaged"]
    assert len(audited) == 1


async def test_repeats_count_on_the_card_updated_in_place_at_most_once_a_minute(
        triage: Container, connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    again = await fire()
    assert again["repeat"] is True
    _, card = the_card(connector)
    assert "Received: 2 time(s)" in texts(card)
    await fire()  # the same minute: counted, not redrawn
    assert "Received: 2 time(s)" in texts(the_card(connector)[1])
    triage.clock.advance(timedelta(minutes=1))
    await fire()
    assert "Received: 4 time(s)" in texts(the_card(connector)[1])
    assert len(cards(connector)) == 1 and len(connector.messages("update")) == 2
    # A new notification of the same alert (another episode) counts on the open card too, never a second card,
    # and neither do its own repeats.
    triage.clock.advance(timedelta(minutes=1))
    other = await fire({**ALERT, "started_at": "2026-11-27T10:01:00Z"})
    assert other["outcome"] == "counted on the open triage card of this alert"
    assert "Received: 5 time(s)" in texts(the_card(connector)[1])
    triage.clock.advance(timedelta(minutes=1))
    await fire({**ALERT, "started_at": "2026-11-27T10:01:00Z"})
    assert len(cards(connector)) == 1


async def test_an_alert_resolved_before_anyone_decided_closes_its_card(triage: Container,
                                                                       connector: ConnectorDouble) -> None:
    await ready()
    await fire()
    taken = await fire({**ALERT, "status": "resolved"})
    assert taken["outcome"].startswith("resolved at the source before anyone decided")
    _, card = the_card(connector)
    assert "Resolved at the source before anyone decided." in texts(card) and verbs(card) == []
    triage.clock.advance(timedelta(minutes=31))
    await run_tick(triage.bus, triage.clock.now())
    assert "Resolved at the source before anyone decided." in texts(the_card(connector)[1])


async def test_a_forged_or_stale_button_is_refused_in_a_sentence(triage: Container,
                                                                 connector: ConnectorDouble) -> None:
    await ready()
    reply = await click("triage.declare", {"signal": "generic\x1fnothing\x1ffiring\x1f"})
    assert reply["type"] == "application/vnd.microsoft.activity.message"
    assert "no longer stored" in reply["value"]
    assert await triage.dependencies.incidents.list_open() == []
