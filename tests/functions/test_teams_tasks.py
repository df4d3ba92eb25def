"""Tasks in Teams: added by text with an owner and a due time, listed on the incident card with Done and
Reassign, reminded when due (time travel), named in the stale flag, settled at resolve; follow-ups on any
resolved incident."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from incident.lifecycle import Status
from services.timers import run_tick
from tests.conftest import OUTAGE_CRITERIA
from tests.functions.conftest import teams_message
from tests.functions.test_teams_conversation import BOB, card_of, click, declare, elements, inputs, say, send
from tests.support.connector import ConnectorDouble

MET = {f"criterion_{c}": "true" for c in OUTAGE_CRITERIA}


async def say_mentioning(text: str, person: tuple[str, str] = BOB, **kwargs: Any) -> str:
    """A message that @mentions ``person`` (its text carries "<at>name</at>") and the bot's answer."""
    activity = teams_message(text, **kwargs)
    activity["entities"].append({"type": "mention", "text": f"<at>{person[1]}</at>",
                                 "mentioned": {"id": person[0], "name": person[1]}})
    status, body = await send(activity)
    assert status == 200
    return str(body["activities"][0]["text"])


def task_lines(card: dict[str, Any]) -> list[str]:
    return [str(e["text"]) for e in elements(card["body"]) if e.get("type") == "TextBlock"
            and str(e.get("text", "")).startswith("#")]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The task list's buttons (not the managers' row of status, severity, resolve)."""
    return [a for e in elements(card["body"]) if e.get("type") == "ActionSet" and e.get("id") != "manager_tools"
            for a in e["actions"]]


async def test_a_sev4_task_with_an_owner_and_a_time_is_listed_on_the_incident_card(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    answer = await say_mentioning(f"task {incident_id} Roll back release 42 <at>Bob Durand</at> by 12:30")
    assert answer == f"Task #1 added to {incident_id} for Bob Durand, due 2026-11-27 12:30 Europe/Paris."
    stored = await installed.dependencies.incidents.get(incident_id)
    [task] = stored.tasks
    assert (task.text, task.owner.id, task.due_at) == ("Roll back release 42", "29:bob",
                                                       datetime(2026, 11, 27, 11, 30, tzinfo=UTC))
    card = card_of(await say(f"status {incident_id}"))
    assert task_lines(card) == ["#1 Roll back release 42 — Bob Durand, due 2026-11-27 12:30 Europe/Paris"]
    assert [b.get("verb") or b["card"]["actions"][0]["verb"] for b in buttons(card)] == ["task.done", "task.reassign"]


async def test_a_task_without_a_mention_belongs_to_its_writer_and_in_reads_a_duration(installed: Container) -> None:
    incident_id = await declare(installed)
    answer = (await say(f"task {incident_id} Check the canary in 30m"))["text"]
    assert answer.startswith(f"Task #1 added to {incident_id} for Alice Martin, due")
    [task] = (await installed.dependencies.incidents.get(incident_id)).tasks
    assert task.owner.id == "29:alice"
    assert task.due_at == installed.dependencies.clock.now() + timedelta(minutes=30)


async def test_a_bad_due_time_is_said_and_nothing_is_added(installed: Container) -> None:
    incident_id = await declare(installed)
    answer = (await say(f"task {incident_id} Scale out in 99999h"))["text"]
    assert "is not between 1 minute and 30 days" in answer
    assert (await installed.dependencies.incidents.get(incident_id)).tasks == ()


async def test_done_and_reassign_buttons_change_the_task_and_redraw_the_card(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"task {incident_id} Page the payments team")
    await say(f"task {incident_id} Draft the customer notice")
    moved = await click("task.reassign", {"incident_id": incident_id, "number": 2, "task_owner": "29:alice"})
    assert moved["type"] == "application/vnd.microsoft.card.adaptive"
    done = await click("task.done", {"incident_id": incident_id, "number": 1})
    assert task_lines(done["value"]) == ["#2 Draft the customer notice — Alice Martin"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.tasks[0].done_at is not None and stored.tasks[1].is_open
    kinds = [e.kind for e in await installed.dependencies.incidents.timeline(incident_id)]
    assert "task_added" in kinds and "task_done" in kinds


async def test_task_done_and_reassign_by_text(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"task {incident_id} Page the payments team")
    assert (await say_mentioning(f"task {incident_id} reassign 1 <at>Bob Durand</at>")) == (
        f"Task #1 of {incident_id} is now Bob Durand's.")
    assert (await say(f"task {incident_id} done 1"))["text"] == f"Task #1 of {incident_id} is done."
    [task] = (await installed.dependencies.incidents.get(incident_id)).tasks
    assert task.owner.id == "29:bob" and task.done_at is not None


async def test_french_users_get_french_task_answers(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    answer = (await say(f"task {incident_id} Vérifier les journaux dans 2h", locale="fr-FR"))["text"]
    assert answer.startswith(f"Tâche n° 1 ajoutée à {incident_id} pour Alice Martin, échéance")


async def test_the_card_lists_many_tasks_compactly_with_and_n_more(installed: Container) -> None:
    incident_id = await declare(installed)
    for n in range(25):
        await say(f"task {incident_id} Check region {n} " + "x" * 150)
    card = card_of(await say(f"status {incident_id}"))
    assert len(json.dumps(card).encode()) < 28_000
    more = [e["text"] for e in elements(card["body"]) if str(e.get("text", "")).startswith("and ")]
    assert more and more[0].startswith(f"and {25 - len(task_lines(card))} more")


async def test_the_owner_is_reminded_once_when_the_task_is_due(installed: Container, connector: ConnectorDouble,
                                                               clock: FixedClock) -> None:
    incident_id = await declare(installed, severity="SEV4")
    await say_mentioning(f"task {incident_id} Roll back release 42 <at>Bob Durand</at> in 45m")
    clock.advance(timedelta(minutes=44))
    await run_tick(installed.bus, clock.now())
    assert not [m for m in connector.messages() if "is due now" in json.dumps(m.activity)]
    clock.advance(timedelta(minutes=2))
    await run_tick(installed.bus, clock.now())
    clock.advance(timedelta(hours=3))
    await run_tick(installed.bus, clock.now())
    reminders = [m.activity for m in connector.messages() if "is due now" in json.dumps(m.activity)]
    assert len(reminders) == 1
    assert "<at>Bob Durand</at>, task #1 \"Roll back release 42\" is due now" in reminders[0]["text"]
    assert reminders[0]["entities"][0]["mentioned"]["id"] == "29:bob"


async def test_a_task_done_before_it_is_due_is_not_reminded(installed: Container, connector: ConnectorDouble,
                                                            clock: FixedClock) -> None:
    incident_id = await declare(installed)
    await say(f"task {incident_id} Roll back in 30m")
    assert (await say(f"task {incident_id} done 1"))["text"] == f"Task #1 of {incident_id} is done."
    clock.advance(timedelta(hours=1))
    await run_tick(installed.bus, clock.now())
    assert not [m for m in connector.messages() if "is due now" in json.dumps(m.activity)]


async def test_the_stale_flag_names_overdue_tasks_and_their_owners(installed: Container, connector: ConnectorDouble,
                                                                   clock: FixedClock) -> None:
    incident_id = await declare(installed)
    await say_mentioning(f"task {incident_id} Replace the disk <at>Bob Durand</at> in 2h")
    clock.advance(installed.dependencies.policy.escalation.stale_after + timedelta(minutes=1))
    await run_tick(installed.bus, clock.now())
    [flag] = [m.activity for m in connector.messages() if "overdue tasks" in json.dumps(m.activity)]
    assert "#1 Replace the disk" in flag["text"] and "<at>Bob Durand</at>" in flag["text"]


async def test_the_resolve_form_asks_about_each_open_task_and_nothing_is_lost(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    await say(f"task {incident_id} Remove the feature flag")
    await say(f"task {incident_id} Watch the error rate")
    await say(f"task {incident_id} Already done thing")
    await say(f"task {incident_id} done 3")
    form = await click("incident.resolve_form", {"incident_id": incident_id})
    fields = inputs(form["value"])
    assert fields["task_1"]["value"] == "carry" and "task_2_reason" in fields and "task_3" not in fields
    refused = await click("incident.resolve", {"incident_id": incident_id, "resolution": "Fixed", **MET,
                                               "task_1": "carry", "task_2": "drop", "task_2_reason": ""})
    assert "task #2 is dropped without a reason" in json.dumps(refused["value"])
    assert (await installed.dependencies.incidents.get(incident_id)).status.is_active
    await click("incident.resolve", {"incident_id": incident_id, "resolution": "Fixed", **MET,
                                     "task_1": "carry", "task_2": "drop", "task_2_reason": "the graph is flat"})
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED
    [follow_up] = stored.follow_ups
    assert (follow_up.title, follow_up.owner.id) == ("Remove the feature flag", "29:alice")
    assert stored.tasks[0].follow_up == 1 and stored.tasks[1].dropped == "the graph is flat"
    summaries = [e.summary for e in await installed.dependencies.incidents.timeline(incident_id)]
    assert any("(task #1)" in s for s in summaries) and any("dropped" in s and "graph is flat" in s for s in summaries)


async def test_a_resolved_sev4_without_a_postmortem_takes_a_follow_up(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV4")
    await click("incident.resolve", {"incident_id": incident_id, "resolution": "Fixed", **MET})
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.postmortem is None and stored.status is Status.RESOLVED
    answer = await say_mentioning(f"followup {incident_id} Add a canary for payments <at>Bob Durand</at> "
                                  "2026-12-15T10:00")
    assert answer == f"Follow-up #1 added to {incident_id} for Bob Durand, due 2026-12-15 10:00 Europe/Paris."
    [follow_up] = (await installed.dependencies.incidents.get(incident_id)).follow_ups
    assert follow_up.title == "Add a canary for payments" and follow_up.owner.id == "29:bob"
    assert (await installed.dependencies.incidents.get(incident_id)).status is Status.RESOLVED


async def test_a_follow_up_on_an_active_incident_is_refused_in_a_sentence(installed: Container) -> None:
    incident_id = await declare(installed)
    answer = (await say(f"followup {incident_id} Add a canary"))["text"]
    assert "follow-ups are added once the incident is resolved" in answer


async def test_someone_outside_a_security_incident_may_not_add_a_task(installed: Container) -> None:
    incident_id = await declare(installed, private="true", type="security", title="Ransomware on file server")
    answer = (await say(f"task {incident_id} Wipe the server", user=BOB))["text"]
    assert "only the people in the incident or an incident admin may add or change the tasks of" in answer
    assert (await installed.dependencies.incidents.get(incident_id)).tasks == ()
