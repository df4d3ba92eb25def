"""``pin <n>`` and ``unpin <n>`` (#19): an earlier note made a key event, or an ordinary note again, through Teams
messages; the numbered list 'pin' alone shows; clear sentences for a bad number; a security incident's notes for
its people only; and the pinned note standing out in the incident document."""

from __future__ import annotations

import pytest

from devopsbot.bootstrap import Container
from tests.functions.conftest import built_function
from tests.functions.test_documents import get
from tests.functions.test_graph_spaces import graph, identity, space_mode
from tests.functions.test_private_spaces import declare_security
from tests.functions.test_teams_conversation import BOB, declare, say, threads
from tests.support.connector import ConnectorDouble
from tests.support.graph import GraphDouble

__all__ = ["graph", "identity", "space_mode"]  # fixtures, imported for the private incident's test

DAVE = ("29:dave", "Dave Outsider")  # in the conversation, not in the incident


async def pinned(installed: Container, incident_id: str) -> list[bool]:
    from incident.notes import notes_of

    return [n.pinned for n in notes_of(await installed.dependencies.incidents.timeline(incident_id))]


async def test_pin_makes_an_earlier_note_a_key_event_and_unpin_undoes_it(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    here = space.conversation_id
    await say("note Rolled back release 42", conversation=here, user=BOB)
    await say("note Checked the dashboards", conversation=here)
    listed = (await say("pin", conversation=here))["text"]
    assert listed.startswith(f"Notes of {incident_id} (say 'pin <n>'")
    assert "1. Rolled back release 42" in listed and "2. Checked the dashboards" in listed
    assert (await say("pin 1", conversation=here))["text"] == (
        f"Note 1 of {incident_id} is now a key event: it stands out in the incident document.")
    assert await pinned(installed, incident_id) == [True, False]
    assert "1. Rolled back release 42 (key event)" in (await say("pin", conversation=here))["text"]
    assert (await say("pin 1", conversation=here))["text"] == f"Note 1 of {incident_id} is already a key event."
    assert (await say(f"unpin {incident_id} 1"))["text"] == f"Note 1 of {incident_id} is an ordinary note again."
    assert await pinned(installed, incident_id) == [False, False]
    assert (await say("unpin 2", conversation=here))["text"] == (
        f"Note 2 of {incident_id} is not a key event, so there is nothing to unpin.")


async def test_a_bad_note_number_gets_a_sentence_saying_which_numbers_exist(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    here = space.conversation_id
    assert (await say("pin 1", conversation=here))["text"] == (
        f"{incident_id} has no notes yet. Add one with 'note <text>' first, then pin it with 'pin 1'.")
    await say("note Rolled back release 42", conversation=here)
    assert (await say("pin 3", conversation=here))["text"] == (
        f"{incident_id} has no note 3: its notes are numbered 1 to 1. Say 'pin' alone to see them.")
    assert (await say("pin 0", conversation=here))["text"].startswith(f"{incident_id} has no note 0")
    for bad in ("pin two", "unpin -1", "pin 99999999999"):
        assert (await say(bad, conversation=here))["text"].startswith("Say which note by its number, e.g. '"), bad
    assert await pinned(installed, incident_id) == [False]


async def test_pin_answers_in_the_persons_language(installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    here = space.conversation_id
    await say("note Retour arrière de la version 42", conversation=here)
    assert (await say("pin 1", conversation=here, locale="fr-FR"))["text"] == (
        f"La note 1 de {incident_id} est maintenant un événement clé : elle ressort dans le document d'incident.")
    assert "1. Retour arrière de la version 42 (événement clé)" in (
        await say("pin", conversation=here, locale="fr-FR"))["text"]
    assert (await say("pin 5", conversation=here, locale="fr-FR"))["text"] == (
        f"{incident_id} n'a pas de note 5 : ses notes sont numérotées de 1 à 1. Dites 'pin' seul pour les voir.")
    assert (await say("unpin 1", conversation=here, locale="fr-FR"))["text"] == (
        f"La note 1 de {incident_id} est de nouveau une note ordinaire.")


async def test_a_pinned_note_stands_out_as_a_key_event_in_the_incident_document(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    here = space.conversation_id
    await say("note Checked the dashboards", conversation=here)
    await say("note Failover to the replica started", conversation=here)
    await say("pin 2", conversation=here)
    markdown = (await built_function("incident_document")(get(incident_id, "md"))).get_body().decode()
    key_events = markdown.split("## Key events", 1)[1].split("##", 1)[0]
    assert "Failover to the replica started" in key_events and "Checked the dashboards" not in key_events
    notes_table = markdown.split("## Notes from the conversation", 1)[1].split("## Timeline", 1)[0]
    assert "| 2 |" in notes_table and "| **Key event:** Failover to the replica started |" in notes_table
    timeline = markdown.split("## Timeline", 1)[1]
    assert "| **Key event:** Failover to the replica started |" in timeline
    assert "note 2 pinned as a key event: Failover to the replica started" in timeline
    html = (await built_function("incident_document")(get(incident_id, "html"))).get_body().decode()
    assert '<strong class="text">Failover to the replica started</strong>' in html


@pytest.mark.parametrize("space_mode", ["thread"], indirect=True)
async def test_someone_outside_a_security_incident_may_not_pin_its_notes(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    from devopsbot import bootstrap

    await declare_security()
    [chat_id] = graph.chats  # the incident's private group chat
    installed = bootstrap.get_container()
    [private] = await installed.dependencies.incidents.list_open()
    await say("note Isolated the host", conversation=chat_id, user=BOB)
    for text in ("pin 1", "pin", "pin 7", f"pin {private.id} 1", f"unpin {private.id} 1"):
        answer = (await say(text, conversation=chat_id, user=DAVE))["text"]
        assert answer.startswith("Sorry, ") and "may add a note" in answer, (text, answer)
        assert "Isolated" not in answer and "numbered" not in answer
    assert await pinned(installed, private.id) == [False]
    assert (await say("pin 1", conversation=chat_id, user=BOB))["text"].startswith(f"Note 1 of {private.id} is now")
    assert await pinned(installed, private.id) == [True]


async def test_the_document_page_follows_the_incidents_language_or_the_one_asked(
        installed: Container, connector: ConnectorDouble) -> None:
    import azure.functions as func

    incident_id = await declare(installed)
    space, _ = threads(connector)
    await say("note Failover to the replica started", conversation=space.conversation_id)
    await say("pin 1", conversation=space.conversation_id)

    def asked(language: str) -> func.HttpRequest:
        return func.HttpRequest(method="GET", url=f"http://127.0.0.1/api/incidents/{incident_id}/document",
                                params={"format": "html", "language": language}, route_params={"id": incident_id},
                                body=b"")

    page = built_function("incident_document")
    english = (await page(get(incident_id, "html"))).get_body().decode()  # declared in English: English
    assert '<html lang="en">' in english and "<h2>Key events</h2>" in english
    french = (await page(asked("fr"))).get_body().decode()
    assert '<html lang="fr">' in french and "<h2>Événements clés</h2>" in french
    assert "<strong>Événement clé :</strong> Failover to the replica started" in french
    assert "note 1 marquée comme événement clé : Failover to the replica started" in french
    refused = await page(asked("klingon"))
    assert refused.status_code == 400 and b"language must be one of en, fr" in refused.get_body()
