"""Cards that move with the incident (issue #22): the status follows the work, buttons that no longer apply go,
the plan ticks what devopsbot saw done, times are absolute in the reader's zone, and resolving says what comes
next without posting a second incident card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.lifecycle import Status
from incident.policy import OrganisationPolicy
from tests.functions.test_teams_conversation import BOB, card_of, click, declare, say, threads
from tests.support.card_check import buttons
from tests.support.connector import ConnectorDouble, Sent

DECLARED = "2026-11-27T10:00:00Z"  # the clock of the `installed` container


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {f["title"]: f["value"] for f in card["body"][2]["facts"]}


def titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in buttons(card)]


def status_buttons(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The commander's status buttons, inside "Change status": (title, status it sets)."""
    [shown] = [a for a in buttons(card) if a["title"] == "Change status"]
    return [(a["title"], a["data"]["status"]) for a in shown["card"]["actions"]]


def plan_message(connector: ConnectorDouble) -> Sent:
    space, _ = threads(connector)
    [plan] = [m for m in connector.messages() if m.conversation_id == space.conversation_id
              and "Response plan" in json.dumps(m.activity)]
    return plan


def latest_update(connector: ConnectorDouble, posted: Sent) -> dict[str, Any]:
    """The card as Teams shows it now: the last in-place update of ``posted``."""
    updates = [u for u in connector.messages("update") if u.activity_id == posted.activity_id]
    assert updates, "the card was not updated in place"
    return dict(updates[-1].activity["attachments"][0]["content"])


def heading(activity: dict[str, Any]) -> str:
    cards = [a["content"] for a in activity.get("attachments") or []]
    return str(cards[0]["body"][0].get("text", "")) if cards else ""


def ticks(plan: dict[str, Any]) -> list[str]:
    return [item["columns"][0]["items"][0]["text"] for item in plan["body"] if item.get("type") == "ColumnSet"]


async def test_acknowledging_starts_the_investigation_and_the_acknowledge_button_goes(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    acked = (await click("incident.ack", {"incident_id": incident_id}))["value"]
    assert facts(acked)["Status"] == "Investigating"
    assert acked["body"][0]["text"].startswith(f"Incident {incident_id} · SEV2 · Investigating")
    assert "Acknowledge" not in titles(acked)
    assert (await installed.dependencies.incidents.get(incident_id)).status is Status.INVESTIGATING
    space, announcement = threads(connector)
    for posted in (space, announcement):  # both cards in place: the space's, and the broadcast's
        assert facts(latest_update(connector, posted))["Status"] == "Investigating"
    assert "Acknowledge" not in titles(latest_update(connector, space))


async def test_acknowledging_and_the_first_update_tick_their_plan_steps_on_the_plan_card(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    plan = plan_message(connector)
    assert ticks(plan.activity["attachments"][0]["content"]) == ["☐", "☐", "☐", "☐"]
    space, _ = threads(connector)
    await say("ack", conversation=space.conversation_id)  # by text in the incident's thread
    assert ticks(latest_update(connector, plan)) == ["☑", "☐", "☐", "☐"]
    await click("incident.update", {"incident_id": incident_id, "text": "Rolled back release 42"})
    assert ticks(latest_update(connector, plan)) == ["☑", "☑", "☐", "☐"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.plan_done == (0, 1)
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert [e.summary for e in timeline if e.kind == "plan_step_done"] == [
        "Acknowledge and take command", "Post the first status update"]
    assert {e.actor.id for e in timeline if e.kind == "plan_step_done"} == {"29:alice"}


@pytest.fixture
def ack_does_not_move(policy: OrganisationPolicy, connector: ConnectorDouble) -> Iterator[Container]:
    """An organisation with ``[lifecycle] acknowledge_starts_investigation = false``."""
    container = Container(Settings(storage_connection_string="memory"), in_memory=True,
                          clock=FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
                          policy=replace(policy, acknowledge_starts_investigation=False))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def test_where_the_organisation_says_so_acknowledging_leaves_the_status_to_the_commander(
        ack_does_not_move: Container) -> None:
    incident_id = await declare(ack_does_not_move)
    acked = (await click("incident.ack", {"incident_id": incident_id}))["value"]
    assert facts(acked)["Status"] == "Declared"
    assert facts(acked)["Acknowledged"].startswith("Alice Martin")
    assert (await ack_does_not_move.dependencies.incidents.get(incident_id)).plan_done == (0,)


async def test_the_commander_moves_the_status_with_the_cards_buttons(installed: Container,
                                                                   connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    commander_view = (await click("incident.refresh", {"incident_id": incident_id}))["value"]
    assert status_buttons(commander_view) == [("Investigating", "investigating"), ("Identified", "identified"),
                                              ("Monitoring", "monitoring")]
    moved = (await click("incident.status", {"incident_id": incident_id, "status": "identified"}))["value"]
    assert facts(moved)["Status"] == "Identified"
    assert status_buttons(moved) == [("Investigating", "investigating"), ("Monitoring", "monitoring")]
    _, announcement = threads(connector)
    assert facts(latest_update(connector, announcement))["Status"] == "Identified"
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert [e.summary for e in timeline if e.kind == "status_changed"] == ["declared → identified"]


async def test_only_the_commander_deputy_or_an_admin_may_move_the_status_others_are_told_why(
        installed: Container) -> None:
    incident_id = await declare(installed)
    responder_view = (await click("incident.refresh", {"incident_id": incident_id}, user=BOB))["value"]
    assert "Change status" not in titles(responder_view)
    clicked = await click("incident.status", {"incident_id": incident_id, "status": "monitoring"}, user=BOB)
    said = await say(f"status {incident_id} monitoring", user=BOB)
    expected = (f"Only the commander, the deputy or an incident admin may change the status of {incident_id}. "
                "Ask the commander (Alice Martin), or post what you found with 'update <text>'.")
    assert clicked["value"] == said["text"] == expected
    french = await say(f"status {incident_id} monitoring", user=BOB, locale="fr-FR")
    assert french["text"].startswith(f"Seuls le commandant, l'adjoint ou un administrateur des incidents peuvent "
                                     f"changer le statut de {incident_id}.")
    assert (await installed.dependencies.incidents.get(incident_id)).status is Status.DECLARED


async def test_the_commander_moves_the_status_by_text_with_a_reason(installed: Container,
                                                                   connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    reply = await say("status monitoring Error rates are flat since the rollback", conversation=space.conversation_id)
    assert reply["text"] == f"{incident_id} is now monitoring."
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.MONITORING
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    [moved] = [e for e in timeline if e.kind == "status_changed"]
    assert moved.after["reason"] == "Error rates are flat since the rollback"
    again = await say(f"status {incident_id} monitoring")
    assert again["text"] == f"{incident_id} is already monitoring."
    french = await say(f"status {incident_id} identified", locale="fr-FR")
    assert french["text"] == f"{incident_id} est maintenant : identifié."
    unknown = await say(f"status {incident_id} fixed")
    assert unknown["text"].startswith("'fixed' is not a status you can set. Say 'status investigating'")
    shown = card_of(await say(f"status {incident_id}"))  # without a status: the card, as before
    assert facts(shown)["Status"] == "Identified"


async def test_times_on_the_card_are_absolute_and_shown_in_the_readers_zone(installed: Container, clock: FixedClock,
                                                                           connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    clock.advance(timedelta(minutes=7))
    acked = (await click("incident.ack", {"incident_id": incident_id}))["value"]
    shown = facts(acked)
    assert shown["Declared"] == f"{{{{DATE({DECLARED}, SHORT)}}}} {{{{TIME({DECLARED})}}}} by Alice Martin"
    assert shown["Acknowledged"] == ("Alice Martin, {{DATE(2026-11-27T10:07:00Z, SHORT)}} "
                                     "{{TIME(2026-11-27T10:07:00Z)}}")
    cadence = installed.dependencies.policy.effort("SEV2").update_cadence
    due = (datetime(2026, 11, 27, 10, 0, tzinfo=UTC) + cadence).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert shown["Next update due"] == f"{{{{DATE({due}, SHORT)}}}} {{{{TIME({due})}}}}"
    space, announcement = threads(connector)
    for posted in (space.activity["attachments"][0]["content"], latest_update(connector, announcement)):
        assert " ago" not in json.dumps(posted) and "UTC" not in facts(posted)["Declared"]


async def test_after_resolve_the_card_names_the_postmortem_owner_and_due_date(installed: Container,
                                                                              connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)  # SEV2 outage: a postmortem is required
    resolved = (await click("incident.resolve", {"incident_id": incident_id, "resolution": "Rolled back",
                                                 "override_reason": "Customers told by phone"}))["value"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.postmortem is not None
    due = stored.postmortem.due_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert facts(resolved)["Next"] == f"Postmortem by Alice Martin, due {{{{DATE({due}, SHORT)}}}}"
    assert "Next update due" not in facts(resolved)
    assert [t for t in titles(resolved) if not t.startswith("Playbook")] == []  # nothing left to press
    space, announcement = threads(connector)
    for posted in (space, announcement):
        assert "Next update due" not in facts(latest_update(connector, posted))


async def test_after_resolve_without_a_required_postmortem_the_card_says_so(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    resolved = (await click("incident.resolve", {"incident_id": incident_id, "resolution": "Rolled back",
                                                 "override_reason": "Minor"}))["value"]
    assert facts(resolved)["Next"] == "No postmortem required: the incident can be closed."
    french = (await click("incident.refresh", {"incident_id": incident_id}, locale="fr-FR"))["value"]
    assert "Pas de postmortem requis" in json.dumps(french, ensure_ascii=False)


async def test_resolving_from_the_resolve_command_updates_the_cards_and_posts_no_copy(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, announcement = threads(connector)
    form = card_of(await say("resolve Rolled back", conversation=space.conversation_id))
    [submit] = form["actions"]
    answer = await click(submit["verb"], {**submit["data"], "criterion_service_restored": "true",
                                          "criterion_monitoring_green": "true", "criterion_customers_told": "true",
                                          "resolution": "Rolled back"})
    # The form (a message of its own) becomes a short notice, not a second full incident card.
    assert answer["value"]["body"] == [{"type": "TextBlock", "text": (
        f"{incident_id} is resolved. The incident card and the announcement show it now."), "wrap": True}]
    for posted in (space, announcement):
        assert facts(latest_update(connector, posted))["Status"] == "Resolved"
    incident_cards = [s.activity_id for s in connector.sent if s.kind in ("thread", "message")
                      and heading(s.activity).startswith(f"Incident {incident_id}")]
    assert sorted(incident_cards) == sorted([space.activity_id, announcement.activity_id])


async def test_a_resolve_form_from_the_reminder_also_ends_as_a_notice(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    form = (await click("incident.resolve_form", {"incident_id": incident_id, "standalone": True}))["value"]
    [submit] = form["actions"]
    answer = await click(submit["verb"], {**submit["data"], "resolution": "Fixed", "override_reason": "Minor"},
                         locale="fr-FR")
    assert answer["value"]["body"][0]["text"] == (
        f"{incident_id} est résolu. La carte de l'incident et l'annonce l'indiquent désormais.")


async def test_a_status_change_on_an_unknown_status_value_is_refused_as_a_forged_card(installed: Container) -> None:
    incident_id = await declare(installed)
    forged = await click("incident.status", {"incident_id": incident_id, "status": "resolved"})
    assert forged["value"].startswith("That card is out of date: status:")
    assert (await installed.dependencies.incidents.get(incident_id)).status is Status.DECLARED


async def test_someone_outside_a_security_incident_is_refused_without_learning_who_runs_it(
        installed: Container) -> None:
    incident_id = await declare(installed, private="true", type="security", title="Ransomware on file server")
    said = await say(f"status {incident_id} identified", user=BOB)
    assert said["text"] == (f"Only the commander, the deputy or an incident admin may change the status of "
                            f"{incident_id}.")
    assert "Alice" not in said["text"]
    assert (await installed.dependencies.incidents.get(incident_id)).status is Status.DECLARED
