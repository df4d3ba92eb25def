"""The incident process through the Bot Framework protocol: Teams-shaped activities in, replies out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from incident.lifecycle import Status
from tests.conftest import OUTAGE_CRITERIA
from tests.functions.conftest import built_function, request, teams_invoke, teams_message
from tests.support.card_check import buttons
from tests.support.connector import ConnectorDouble, Sent

BOB = ("29:bob", "Bob Durand")


async def send(body: dict[str, Any]) -> tuple[int, Any]:
    response = await built_function("messages")(request("POST", "messages", body))
    await bootstrap.get_container().bus.drain()  # Teams is told in the background; wait for it
    raw = response.get_body()
    return response.status_code, json.loads(raw) if raw else None


async def say(text: str, **kwargs: Any) -> dict[str, Any]:
    status, body = await send(teams_message(text, **kwargs))
    assert status == 200
    [reply] = body["activities"]
    return dict(reply)


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    [attachment] = reply["attachments"]
    return dict(attachment["content"])


def elements(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every element of a card body, those inside containers (the form's "More details") included."""
    found: list[dict[str, Any]] = []
    for item in items:
        found.append(item)
        found += elements(item.get("items", []))
    return found


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in elements(card["body"]) if str(item.get("type", "")).startswith("Input.")}


def texts(card: dict[str, Any]) -> list[str]:
    return [item["text"] for item in card["body"] if item.get("type") == "TextBlock"]


def threads(connector: ConnectorDouble) -> tuple[Sent, Sent]:
    """The incident's space (in General) and its announcement (in broadcast), opened concurrently."""
    threads = connector.messages("thread")
    opened = {s.conversation_id.split(";")[0]: s for s in threads}
    assert set(opened) == {"team-id", "channel-broadcast"}
    assert len(threads) == 2, "each is opened once"
    return opened["team-id"], opened["channel-broadcast"]


def form(**overrides: Any) -> dict[str, Any]:
    data = {"form_id": "form-0000000001", "title": "Checkout failing", "summary": "Card payments time out",
            "type": "outage", "affects_customers": "true", "unplanned": "true", "long_running": "true",
            "services": "checkout,payments", "environments": "production", "regions": "westeurope",
            "severity": "SEV2", "commander": "29:alice", "responder": "", "invitees": "", "private": "false",
            "broadcast": "broadcast", "confirm_not_incident": False}
    data.update(overrides)
    return data


async def click(verb: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    status, body = await send(teams_invoke(verb, data, **kwargs))
    assert status == 200
    return dict(body)


async def declare(installed: Container, **overrides: Any) -> str:
    answer = await click("declare.submit", form(**overrides))
    return declared_id(answer)


def declared_id(answer: dict[str, Any]) -> str:
    """The id in the card that replaces a submitted declaration form (it has no button left)."""
    assert answer["type"] == "application/vnd.microsoft.card.adaptive", answer
    assert "actions" not in answer["value"]
    text = str(answer["value"]["body"][0]["text"])
    assert text.startswith("Declared INC-"), text
    return text.split(":")[0].removeprefix("Declared ")


async def test_declare_answers_with_the_form_prefilled(installed: Container) -> None:
    card = card_of(await say("declare Checkout is down"))
    fields = inputs(card)
    assert fields["title"]["value"] == "Checkout is down"
    assert fields["commander"]["value"] == "29:alice"
    assert {c["value"] for c in fields["severity"]["choices"]} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert {c["value"] for c in fields["services"]["choices"]} >= {"checkout", "payments"}
    assert fields["broadcast"]["value"] == "broadcast"
    [action] = card["actions"]
    assert (action["type"], action["verb"], action["fallback"]["type"]) == (
        "Action.Execute", "declare.submit", "Action.Submit")


async def test_a_valid_form_declares_once_and_tells_teams(installed: Container, connector: ConnectorDouble) -> None:
    answer = await click("declare.submit", form(invitees="29:bob"))
    assert answer["value"]["body"][0]["text"] == (
        "Declared INC-2026-0001: Checkout failing. Its thread is opening in General, "
        "and the announcement goes to broadcast.")
    incident_id = declared_id(answer)
    again = await click("declare.submit", form(invitees="29:bob"))  # a double click: same person, form, content
    assert declared_id(again) == incident_id == "INC-2026-0001"
    stored = await installed.dependencies.incidents.get(incident_id)
    assert (stored.title, stored.severity, stored.services, stored.broadcast) == (
        "Checkout failing", "SEV2", ("checkout", "payments"), "broadcast")
    assert stored.holder("commander") is not None and stored.holder("commander").id == "29:alice"
    space, announcement = threads(connector)
    for opened in (space, announcement):
        assert opened.activity["attachments"][0]["content"]["body"][0]["text"] == (
            "Incident INC-2026-0001 · SEV2 · Declared — Checkout failing")
    # SEV2 expects a meeting bridge (issue #18); without one configured the commander is told why.
    invitation, plan, no_bridge, warning, no_playbook = [m for m in connector.messages()
                                                         if m.conversation_id == space.conversation_id]
    assert "no Teams meeting bridge" in no_bridge.activity["text"]
    assert "Phone bridge: +1 555 0100, PIN 4242" in no_bridge.activity["text"]
    assert "no delegate in the roster for Incident commander, Communications lead" in warning.activity["text"]
    assert "no approved playbook for checkout, payments" in no_playbook.activity["text"]
    assert {e["mentioned"]["id"] for e in invitation.activity["entities"]} == {"29:alice", "29:bob"}
    assert "<at>Bob Durand</at>" in invitation.activity["text"]
    assert plan.activity["attachments"][0]["content"]["body"][0]["text"] == "Response plan: Outage"
    due = await installed.dependencies.due_work.due(stored.declared_at.replace(year=2027))
    # The outbox sweep runs what a crash would have left untold; here it will find nothing to do.
    # The outage plan's steps are due 5, 15, 20 and 30 minutes after the declaration: one reminder item each.
    assert sorted(i.kind for i in due) == ["ack_deadline", "outbox_sweep", *["plan_step_due"] * 4, "role_unfilled",
                                           "stale_check", "status_reminder"]


async def test_invalid_input_rerenders_the_form_with_errors_beside_the_fields(installed: Container) -> None:
    answer = await click("declare.submit", form(title="", severity="SEV9", summary="kept <b>text</b>"))
    card = answer["value"]
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    fields = inputs(card)
    assert fields["summary"]["value"] == "kept <b>text</b>"
    body = card["body"]
    after_title = body[body.index(fields["title"]) + 1]
    # #22: the error reads in a colour with enough contrast in every Teams theme, as a sentence saying what to do.
    assert (after_title["color"], after_title["weight"]) == ("Default", "Bolder")
    assert after_title["text"] == "Give the incident a title: a few words saying what is broken, as customers see it."
    assert await installed.dependencies.incidents.list_open() == []


async def test_an_unknown_severity_is_shown_beside_the_severity(installed: Container) -> None:
    card = (await click("declare.submit", form(severity="SEV9")))["value"]
    body = card["body"]
    after = body[body.index(inputs(card)["severity"]) + 1]
    assert "unknown severity 'SEV9'" in after["text"]


async def test_not_an_incident_is_said_and_can_still_be_declared(installed: Container) -> None:
    card = (await click("declare.submit", form(long_running="false")))["value"]
    assert any("not an incident" in text for text in texts(card))
    [action] = card["actions"]
    assert action["title"] == "Declare anyway" and action["data"]["confirm_not_incident"] is True
    incident_id = await declare(installed, long_running="false", confirm_not_incident=True)
    assert incident_id == "INC-2026-0001"


async def test_a_forged_form_is_refused_and_changes_nothing(installed: Container) -> None:
    answer = await click("declare.submit", {"form_id": "x", "title": "y" * 5000})
    card = answer["value"]
    assert any("Please correct" in text for text in texts(card))
    answer = await click("declare.submit", form(commander="29:stranger"))
    assert "not a member of this conversation" in json.dumps(answer["value"])
    assert await installed.dependencies.incidents.list_open() == []


async def test_commands_act_on_the_named_incident(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"ack {incident_id}"))["text"] == f"{incident_id} acknowledged by Alice Martin."
    assert (await say(f"update {incident_id} Rolling back release 42", user=BOB))["text"] == (
        f"Update posted on {incident_id}.")
    status = card_of(await say(f"status {incident_id}"))
    assert any(f["value"] == "Rolling back release 42" for f in status["body"][2]["facts"])
    listed = (await say("list"))["text"]
    assert f"**{incident_id}** [SEV2]" in listed
    assert (await say(f"severity {incident_id} SEV1 spreading"))["text"] == f"{incident_id} is now SEV1."


async def test_only_the_commander_may_change_severity_or_resolve(installed: Container) -> None:
    incident_id = await declare(installed)
    refused = await say(f"severity {incident_id} SEV1", user=BOB)
    assert refused["text"].startswith("Sorry, only the commander")
    refused_card = await click("incident.resolve_form", {"incident_id": incident_id}, user=BOB)
    assert refused_card["value"].startswith("Sorry, only the commander")
    assert (await installed.dependencies.incidents.get(incident_id)).severity == "SEV2"


async def test_assign_gives_the_role_to_the_mentioned_person(installed: Container) -> None:
    incident_id = await declare(installed)
    activity = teams_message(f"assign communications_lead <at>Bob Durand</at> {incident_id}")
    activity["text"] = f"<at>devopsbot</at> assign {incident_id} communications_lead <at>Bob Durand</at>"
    activity["entities"].append({"type": "mention", "text": "<at>Bob Durand</at>",
                                 "mentioned": {"id": "29:bob", "name": "Bob Durand"}})
    status, body = await send(activity)
    assert status == 200
    assert body["activities"][0]["text"] == f"Communications lead of {incident_id}: Bob Durand."
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.holder("communications_lead") is not None
    assert stored.holder("communications_lead").id == "29:bob"


async def test_card_buttons_change_the_incident_and_return_the_updated_card(installed: Container,
                                                                           connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    acked = await click("incident.ack", {"incident_id": incident_id})
    facts = {f["title"]: f["value"] for f in acked["value"]["body"][2]["facts"]}
    assert facts["Acknowledged"].startswith("Alice Martin")
    updated = await click("incident.update", {"incident_id": incident_id, "text": "Found it"})
    assert {f["title"]: f["value"] for f in updated["value"]["body"][2]["facts"]}["Last update"] == "Found it"
    plan = await click("plan.tick", {"incident_id": incident_id, "step": 0})
    assert plan["value"]["body"][1]["columns"][0]["items"][0]["text"] == "☑"
    # Every change also updated the cards in place: the space's card and the announcement.
    space, announcement = threads(connector)
    updated = {u.activity_id for u in connector.messages("update")}
    assert {space.activity_id, announcement.activity_id} <= updated


async def test_resolve_needs_the_exit_criteria_or_an_override(installed: Container,
                                                             connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    form_card = (await click("incident.resolve_form", {"incident_id": incident_id}))["value"]
    toggles = [i for i in inputs(form_card) if i.startswith("criterion_")]
    assert toggles == [f"criterion_{c}" for c in OUTAGE_CRITERIA]
    half = await click("incident.resolve", {"incident_id": incident_id, "criterion_service_restored": "true",
                                            "resolution": "Rolled back"})
    assert "exit criteria not met" in json.dumps(half["value"])
    assert inputs(half["value"])["resolution"]["value"] == "Rolled back"
    done = await click("incident.resolve", {"incident_id": incident_id, "criterion_service_restored": "true",
                                            "resolution": "Rolled back", "override_reason": "Vendor status page down"})
    facts = {f["title"]: f["value"] for f in done["value"]["body"][2]["facts"]}
    assert facts["Status"] == "Resolved"
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED
    _, announcement = threads(connector)
    told = [m.activity.get("text") for m in connector.messages() if m.conversation_id == announcement.conversation_id]
    assert told == ["Resolved INC-2026-0001: Checkout failing. Resolution: Rolled back"]
    updated = [u for u in connector.messages("update") if u.activity_id == announcement.activity_id]
    assert "Resolved" in json.dumps(updated[-1].activity)
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    [resolved] = [e for e in timeline if e.kind == "resolved"]  # a SEV2 resolve also opens the postmortem
    assert resolved.after["override_reason"] == "Vendor status page down"


async def test_a_stale_or_forged_card_action_changes_nothing(installed: Container) -> None:
    missing = await click("incident.ack", {"incident_id": "INC-2026-0999"})
    assert missing["value"].startswith("That card is out of date: no incident INC-2026-0999")
    forged = await click("incident.ack", {"incident_id": "'; DROP TABLE incidents"})
    assert forged["value"] == ("That card is out of date: incident\\_id: not a value this card sends. "
                               "Nothing was changed.")
    oversized = await click("incident.update", {"incident_id": "INC-2026-0001", "text": "x" * 5000})
    assert "at most 4000 characters" in oversized["value"]
    bad_step = await click("plan.tick", {"incident_id": "INC-2026-0001", "step": "first"})
    assert "step: Input should be a valid integer" in bad_step["value"]
    unknown = await click("incident.explode", {})
    assert unknown["value"].startswith("That card is out of date: unknown action")


async def test_a_repeated_delivery_is_handled_once(installed: Container) -> None:
    incident_id = await declare(installed)
    activity = teams_message(f"update {incident_id} once only", activity_id="retried-1")
    first_status, first = await send(activity)
    second_status, second = await send(activity)
    assert (first_status, second_status) == (200, 200)
    assert len(first["activities"]) == 1
    assert not second or not second.get("activities")
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert [e.summary for e in timeline if e.kind == "update_posted"] == ["once only"]


async def test_replies_follow_the_users_language(installed: Container) -> None:
    from bot.locale import Translator

    french = Translator("fr-FR")
    assert (await say("list", locale="fr-FR"))["text"] == french("reply.no_open") != Translator("en")("reply.no_open")
    card = card_of(await say("declare", locale="fr-FR"))
    assert card["body"][0]["text"] == french("declare.heading")


async def test_without_an_incident_here_the_bot_asks_which(installed: Container) -> None:
    assert (await say("ack"))["text"].startswith("Which incident?")


@pytest.mark.parametrize("command", ["help", "declare", "status", "list", "ack", "update", "assign", "severity",
                                     "resolve", "reopen"])
def test_help_lists_exactly_the_commands_the_bot_answers(installed: Container, command: str) -> None:
    from bot.commands import COMMANDS

    assert set(COMMANDS) == set(installed.bot.bot.commands)  # type: ignore[attr-defined]
    assert command in COMMANDS


async def test_teams_throttling_and_gateway_errors_are_retried_and_nothing_is_sent_twice(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    connector.failures = [429, 502, 504]  # the next three sends fail, then Teams recovers
    await say(f"update {incident_id} Rolling back")
    space, announcement = threads(connector)
    updates = [u.activity_id for u in connector.messages("update")]
    assert updates.count(space.activity_id) == 1 and updates.count(announcement.activity_id) == 1
    posted_after = [m for m in connector.messages() if m.conversation_id in
                    (space.conversation_id, announcement.conversation_id)]
    # The invitation, the plan, why there is no bridge (issue #18), the no-delegate warning, the missing
    # playbooks; nothing sent again.
    assert len(posted_after) == 5


async def test_a_teams_error_that_is_not_retried_leaves_the_change_stored(
        installed: Container, connector: ConnectorDouble, caplog: pytest.LogCaptureFixture) -> None:
    incident_id = await declare(installed)
    connector.failures = [403, 403]
    reply = await say(f"update {incident_id} Rolling back")
    assert reply["text"] == f"Update posted on {incident_id}."
    assert (await installed.dependencies.incidents.get(incident_id)).last_update == "Rolling back"
    assert "Teams answered 403" in caplog.text


def action_titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in buttons(card)]


async def test_the_commander_sees_severity_and_resolve_others_do_not(installed: Container,
                                                                     connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    posted = space.activity["attachments"][0]["content"]
    assert posted["refresh"]["userIds"] == ["29:alice"]
    assert posted["refresh"]["action"]["verb"] == "incident.refresh"
    assert "Resolve" not in action_titles(posted)
    commander_view = (await click("incident.refresh", {"incident_id": incident_id}))["value"]
    responder_view = (await click("incident.refresh", {"incident_id": incident_id}, user=BOB))["value"]
    assert {"Change severity", "Resolve"} <= set(action_titles(commander_view))
    assert action_titles(responder_view) == ["Acknowledge", "Post update", "Assign role"]


async def test_a_security_incident_shows_its_details_only_to_its_people(installed: Container,
                                                                        connector: ConnectorDouble) -> None:
    incident_id = await declare(installed, private="true", type="security", title="Ransomware on file server")
    listed = (await say("list", user=BOB))["text"]
    assert "Ransomware" not in listed and "security incident" in listed
    outsider = card_of(await say(f"status {incident_id}", user=BOB))
    assert "Ransomware" not in json.dumps(outsider) and "restricted" in json.dumps(outsider)
    insider = card_of(await say(f"status {incident_id}"))
    assert "Ransomware" in json.dumps(insider)
    assert connector.messages("thread") == []  # no thread in General, no announcement in broadcast


async def test_markup_in_a_resolution_is_not_a_link_in_the_broadcast(installed: Container,
                                                                     connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    await click("incident.resolve", {"incident_id": incident_id, "resolution": "See [the fix](https://evil.example)",
                                     "override_reason": "testing"})
    _, announcement = threads(connector)
    [told] = [m.activity["text"] for m in connector.messages() if m.conversation_id == announcement.conversation_id]
    assert "\\[the fix\\]" in told


async def test_a_repeated_card_click_delivery_still_gets_an_answer(installed: Container) -> None:
    incident_id = await declare(installed)
    click_once = teams_invoke("incident.update", {"incident_id": incident_id, "text": "only once"},
                              activity_id="invoke-retried")
    first_status, first = await send(click_once)
    second_status, second = await send(click_once)
    assert (first_status, second_status) == (200, 200)
    assert first["type"] == "application/vnd.microsoft.card.adaptive"
    assert second == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                      "value": "Already done: Teams sent that twice."}
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert [e.summary for e in timeline if e.kind == "update_posted"] == ["only once"]


async def test_a_repeated_declaration_delivery_is_answered_with_its_incident_from_one_claim(
        installed: Container) -> None:
    # The declaration's own key (form, person, content) recognises Teams' retry: no claim on the activity id.
    submit = teams_invoke("declare.submit", form(), activity_id="declare-retried")
    _, first = await send(submit)
    _, second = await send(submit)
    assert declared_id(first) == declared_id(second) == "INC-2026-0001"
    assert [i.id for i in await installed.dependencies.incidents.list_open()] == ["INC-2026-0001"]
    idempotency = installed.dependencies.idempotency
    assert await idempotency.find("activity:team-id;messageid=1:declare-retried") is None
    update = teams_invoke("incident.update", {"incident_id": "INC-2026-0001", "text": "claimed"},
                          activity_id="update-claimed")
    await send(update)
    claim = await idempotency.find("activity:team-id;messageid=1:update-claimed")
    assert claim is not None and claim.done


async def test_a_failed_turn_is_done_again_when_teams_retries(installed: Container) -> None:
    incident_id = await declare(installed)
    store = installed.dependencies.incidents
    original_save = store.save
    failures = [RuntimeError("storage hiccup")]

    async def flaky_save(incident: Any) -> None:
        if failures:
            raise failures.pop()
        await original_save(incident)

    store.save = flaky_save  # type: ignore[method-assign]
    retried = teams_invoke("incident.update", {"incident_id": incident_id, "text": "second try works"},
                           activity_id="invoke-failed-once")
    _, failed = await send(retried)
    assert failed["value"] == "Sorry, something went wrong on my side. Please try again in a minute; " \
                              "if it keeps failing, follow the manual process."
    _, worked = await send(retried)
    assert worked["type"] == "application/vnd.microsoft.card.adaptive"
    assert (await store.get(incident_id)).last_update == "second try works"


async def test_a_reused_form_declares_a_new_incident_not_the_old_one(installed: Container) -> None:
    first = await declare(installed)
    again = declared_id(await click("declare.submit", form(title="Search is slow")))  # same form, new content
    by_bob = declared_id(await click("declare.submit", form(), user=BOB))  # same form, another person
    assert len({first, again, by_bob}) == 3


async def test_a_second_click_on_resolve_shows_the_resolved_incident(installed: Container) -> None:
    incident_id = await declare(installed)
    data = {"incident_id": incident_id, "resolution": "Rolled back", "override_reason": "testing"}
    await click("incident.resolve", data)
    second = await click("incident.resolve", data)
    facts = {f["title"]: f["value"] for f in second["value"]["body"][2]["facts"]}
    assert facts["Status"] == "Resolved"


async def test_the_commander_is_reminded_in_the_incident_thread_and_can_snooze(
        installed: Container, connector: ConnectorDouble, clock: Any) -> None:
    from datetime import timedelta

    from services.timers import run_tick

    incident_id = await declare(installed)
    await click("incident.ack", {"incident_id": incident_id})
    clock.advance(timedelta(minutes=30))
    await run_tick(installed.bus, clock.now())
    space, _ = threads(connector)
    [reminder] = [m.activity["attachments"][0]["content"] for m in connector.messages()
                  if m.conversation_id == space.conversation_id and m.activity.get("attachments")
                  and "Status update due" in json.dumps(m.activity)]
    assert reminder["body"][0]["text"] == f"Status update due on {incident_id}"
    assert reminder["msteams"]["entities"][0]["mentioned"]["id"] == "29:alice"
    assert "<at>Alice Martin</at>" in reminder["body"][1]["text"]
    verbs = [a.get("verb") or a["card"]["actions"][0]["verb"] for a in reminder["actions"]]
    assert verbs == ["incident.update", "incident.snooze", "incident.snooze", "incident.resolve_form"]
    snoozed = await click("incident.snooze", {"incident_id": incident_id, "minutes": 60})
    assert snoozed["value"] == f"Reminders on {incident_id} snoozed for 60 min."
    assert (await installed.dependencies.incidents.get(incident_id)).reminders_snoozed_until == (
        clock.now() + timedelta(minutes=60))


async def test_an_incident_lives_in_the_team_it_was_declared_in(installed: Container,
                                                                connector: ConnectorDouble) -> None:
    await say("help")  # the home team, "team-id", is the first the bot hears from
    other = teams_message("help", conversation="other-team;messageid=7")
    other["channelData"]["team"] = {"id": "other-team", "aadGroupId": "group-2"}
    await send(other)
    assert (await installed.dependencies.conversations.get("teams", "home"))["team_id"] == "team-id"
    invoke = teams_invoke("declare.submit", form(), conversation="other-team;messageid=8")
    invoke["channelData"]["team"] = {"id": "other-team", "aadGroupId": "group-2"}
    _, answer = await send(invoke)
    incident_id = declared_id(answer)
    assert (await installed.dependencies.incidents.get(incident_id)).team == "other-team"
    assert connector.teams_looked_up == ["other-team"]  # its channels, not the home team's


async def test_a_big_team_gets_a_people_search_and_the_card_stays_small(installed: Container,
                                                                        connector: ConnectorDouble) -> None:
    connector.members += [{"id": f"29:user{n}", "name": f"Person Number {n:03d} With A Long Name",
                           "aadObjectId": f"aad-user{n}"} for n in range(200)]
    reply = await say("declare Checkout failing")
    card = card_of(reply)
    assert len(json.dumps(card).encode()) < 28_000
    commander = inputs(card)["commander"]
    assert commander["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert len(commander["choices"]) == 25
    # Someone found through the search arrives as an Entra object id, and is looked up.
    incident_id = declared_id(await click("declare.submit", form(responder="aad-user150")))
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.holder("responder") is not None and stored.holder("responder").name.endswith("150 With A Long Name")


async def test_the_endpoint_counts_the_people_it_is_answering(installed: Container,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    endpoint = installed.bot
    original = endpoint.handle

    async def watched(body: dict[str, Any], auth_header: str) -> Any:
        seen.append(installed.bus._answering_now().count)
        return await original(body, auth_header)

    monkeypatch.setattr(endpoint, "handle", watched)
    assert (await say("list"))["text"]
    assert seen == [1]  # counted while answered: a burst of such requests holds the reactions back
    assert installed.bus._answering_now().count == 0
