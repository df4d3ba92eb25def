"""What people say, into the incident's timeline (#19): the "Add to incident timeline" message action through the
Bot Framework protocol (``composeExtension/fetchTask``, then ``composeExtension/submitAction``), and ``note`` and
``note!`` typed in an incident's thread; then the incident document with its key events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devopsbot.bootstrap import Container
from incident.model import TimelineEvent
from tests.functions.conftest import built_function, message_action, teams_message_payload
from tests.functions.test_documents import get
from tests.functions.test_graph_spaces import graph, identity, space_mode
from tests.functions.test_private_spaces import declare_security
from tests.functions.test_teams_conversation import BOB, declare, inputs, say, send, texts, threads
from tests.support.card_check import card_problems
from tests.support.connector import ConnectorDouble
from tests.support.graph import GraphDouble

__all__ = ["graph", "identity", "space_mode"]  # fixtures, imported for the private incident's test

FETCH, SUBMIT = "composeExtension/fetchTask", "composeExtension/submitAction"
DAVE = ("29:dave", "Dave Outsider")  # in the conversation, not in the incident
MESSAGE = teams_message_payload('<div><p>Failover to the <b>replica</b> started</p><p>ETA 10 min &amp; counting'
                                '</p><script>alert(1)</script></div>')


async def invoke(body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await send(body)
    assert status == 200
    return dict(answer)


async def notes(installed: Container, incident_id: str) -> list[TimelineEvent]:
    return [e for e in await installed.dependencies.incidents.timeline(incident_id) if e.kind == "note_added"]


def dialog(answer: dict[str, Any]) -> dict[str, Any]:
    task = answer["task"]
    assert task["type"] == "continue", answer
    assert task["value"]["card"]["contentType"] == "application/vnd.microsoft.card.adaptive"
    return dict(task["value"]["card"]["content"])


async def test_the_action_asks_which_incident_with_the_threads_own_incident_chosen(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    other = await declare(installed, form_id="form-0000000002", title="Search is slow")
    answer = await invoke(message_action(FETCH, MESSAGE, conversation=space.conversation_id, user=BOB))
    assert answer["task"]["value"]["title"] == "Add to incident timeline"
    card = dialog(answer)
    choice = inputs(card)["incident_id"]
    assert choice["value"] == incident_id  # pre-filled: the message is in its thread
    assert {c["value"] for c in choice["choices"]} == {incident_id, other}
    assert inputs(card)["key_event"]["type"] == "Input.Toggle"
    assert "Failover to the replica started" in "\n".join(texts(card))
    assert card["actions"][0]["type"] == "Action.Submit"
    assert card_problems({"dialog": card}) == {"dialog": []}  # as the adaptivecards library renders it
    elsewhere = dialog(await invoke(message_action(FETCH, MESSAGE, conversation="team-id;messageid=77")))
    assert inputs(elsewhere)["incident_id"]["value"] == ""  # not in an incident's thread: the person chooses


async def test_submitting_adds_the_message_as_its_author_wrote_it_with_a_link_back(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    sent_before = len(connector.sent)
    submitted = message_action(SUBMIT, MESSAGE, conversation=space.conversation_id,
                               data={"incident_id": incident_id, "key_event": "false"})
    answer = await invoke(submitted)
    assert answer == {"task": {"type": "message",
                               "value": f"Added to the timeline of {incident_id}, as Bob Durand wrote it."}}
    assert connector.sent[sent_before:] == []  # the dialog says it: nothing posted, no card updated for a note
    again = await invoke(submitted)  # Teams retries an invoke it got no answer to in time
    assert again == {"task": {"type": "message", "value": "Already done: Teams sent that twice."}}
    [note] = await notes(installed, incident_id)
    assert note.actor.id == "29:alice"  # who added it; the author is kept beside
    assert dict(note.after) == {
        "text": "Failover to the replica started\nETA 10 min & counting", "author": "Bob Durand",
        "author_id": "aad-bob", "said_at": "2026-11-27T09:58:12.345000+00:00",
        "link": "https://teams.microsoft.com/l/message/19:general@thread.tacv2/1764237492345"}


async def test_a_captured_message_loses_its_control_characters_and_is_cut_to_the_limit(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    long = teams_message_payload("<p>Bell\x07 and\x1b[31m escape</p>" + "<p>" + "x" * 9000 + "</p>")
    await invoke(message_action(SUBMIT, long, data={"incident_id": incident_id, "key_event": "true"}))
    [note] = await notes(installed, incident_id)
    text = note.after["text"]
    assert text.startswith("Bell and[31m escape\n") and len(text) == 4000 and text.endswith(" […]")
    assert note.after["pinned"] == "yes"


async def test_typed_notes_and_key_events_go_into_the_threads_incident(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    reply = await say("note Rolled back release 42", conversation=space.conversation_id, user=BOB)
    assert reply["text"] == f"Note added to the timeline of {incident_id}."
    reply = await say("note! Customers can pay again", conversation=space.conversation_id)
    assert reply["text"] == (f"Key event added to the timeline of {incident_id}: it stands out in the incident "
                             "document.")
    assert (await say("note", conversation=space.conversation_id))["text"] == (
        "Say what goes with it, like this: 'note <text>'.")
    typed = await notes(installed, incident_id)
    assert [(e.actor.id, e.after["text"], e.after.get("pinned")) for e in typed] == [
        ("29:bob", "Rolled back release 42", None), ("29:alice", "Customers can pay again", "yes")]


async def test_key_events_and_captured_messages_stand_out_in_the_incident_document(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    await invoke(message_action(SUBMIT, MESSAGE, conversation=space.conversation_id,
                                data={"incident_id": incident_id, "key_event": "true"}))
    await say("note Checked the dashboards", conversation=space.conversation_id)
    markdown = (await built_function("incident_document")(get(incident_id, "md"))).get_body().decode()
    key_events = markdown.split("## Key events", 1)[1].split("##", 1)[0]
    assert "2026-11-27 09:58:12 UTC**, Bob Durand: **Failover to the replica started ETA 10 min & counting**" in (
        key_events)
    assert "Checked the dashboards" not in key_events  # a plain note is in the notes, not among key events
    notes_table = markdown.split("## Notes from the conversation", 1)[1].split("## Timeline", 1)[0]
    assert "| Bob Durand | **Key event:** Failover" in notes_table
    assert "https://teams.microsoft.com/l/message/19:general@thread.tacv2/1764237492345" in notes_table
    assert "| Alice Martin | Checked the dashboards | Alice Martin |" in notes_table
    html = (await built_function("incident_document")(get(incident_id, "html"))).get_body().decode()
    assert '<li><strong>2026-11-27 09:58:12 UTC</strong>, Bob Durand: <strong class="text">Failover' in html
    assert "<script>" not in html.split("</style>", 1)[1]


async def test_the_dialog_and_its_answer_are_in_the_persons_language(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    answer = await invoke(message_action(FETCH, MESSAGE, locale="fr-FR"))
    assert answer["task"]["value"]["title"] == "Ajouter à la chronologie de l'incident"
    card = dialog(answer)
    assert card["body"][0]["text"] == "Ajouter ce message à la chronologie d'un incident"
    assert card["actions"][0]["title"] == "Ajouter à la chronologie"
    done = await invoke(message_action(SUBMIT, MESSAGE, locale="fr-FR",
                                       data={"incident_id": incident_id, "key_event": "true"}))
    assert done["task"]["value"] == (f"Ajouté à la chronologie de {incident_id} comme fait marquant, "
                                     "tel que Bob Durand l'a écrit.")


async def test_a_message_without_its_payload_or_a_forged_choice_changes_nothing(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    answer = await invoke(message_action(SUBMIT, None, data={"incident_id": incident_id}))
    assert "Teams did not send the message to add" in answer["task"]["value"]
    answer = await invoke(message_action(SUBMIT, MESSAGE, data={"incident_id": "not an id"}))
    assert answer["task"]["type"] == "message" and "Nothing was changed" in answer["task"]["value"]
    answer = await invoke(message_action(SUBMIT, MESSAGE, data={"incident_id": "INC-2026-0999"}))
    assert answer["task"]["value"].startswith("Sorry, you may not add this message")
    assert await notes(installed, incident_id) == []


@pytest.mark.parametrize("space_mode", ["thread"], indirect=True)
async def test_a_security_incidents_messages_are_for_its_people_only(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    from devopsbot import bootstrap

    await declare_security()
    [chat_id] = graph.chats  # the incident's private group chat
    installed = bootstrap.get_container()
    [private] = await installed.dependencies.incidents.list_open()
    public = await declare(installed)
    refused = ("Sorry, you may not add this message to that incident's timeline. Only the people in an incident "
               "may add to it; ask its commander to add you.")
    # An outsider in the chat: refused, without the incident's id or title.
    answer = await invoke(message_action(FETCH, MESSAGE, conversation=chat_id, user=DAVE))
    assert answer == {"task": {"type": "message", "value": refused}}
    answer = await invoke(message_action(SUBMIT, MESSAGE, conversation=chat_id, user=DAVE,
                                         data={"incident_id": private.id, "key_event": "false"}))
    assert answer == {"task": {"type": "message", "value": refused}}
    # Choosing it from anywhere else, by its id: the same answer as for an id that does not exist.
    answer = await invoke(message_action(SUBMIT, MESSAGE, user=DAVE, data={"incident_id": private.id}))
    assert answer == {"task": {"type": "message", "value": refused}}
    # Elsewhere the outsider is offered only the incidents they may see.
    offered = inputs(dialog(await invoke(message_action(FETCH, MESSAGE, user=DAVE))))["incident_id"]["choices"]
    assert [c["value"] for c in offered] == [public]
    assert "Ransomware" not in json.dumps(offered)
    # Its own people add to it, and only to it: the chat's words do not go into another incident.
    mine = dialog(await invoke(message_action(FETCH, MESSAGE, conversation=chat_id, user=BOB)))
    assert [c["value"] for c in inputs(mine)["incident_id"]["choices"]] == [private.id]
    answer = await invoke(message_action(SUBMIT, MESSAGE, conversation=chat_id, user=BOB,
                                         data={"incident_id": public, "key_event": "false"}))
    assert answer == {"task": {"type": "message", "value": refused}}
    answer = await invoke(message_action(SUBMIT, MESSAGE, conversation=chat_id, user=BOB,
                                         data={"incident_id": private.id, "key_event": "false"}))
    assert answer["task"]["value"] == f"Added to the timeline of {private.id}, as Bob Durand wrote it."
    assert [e.actor.id for e in await notes(installed, private.id)] == ["29:bob"]
    assert await notes(installed, public) == []
