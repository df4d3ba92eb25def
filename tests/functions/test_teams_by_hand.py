"""``invite @person`` and ``priority P2 [why]`` through the Teams protocol: invitees become the incident's people
and are @mentioned in its space; the managers set the priority; outsiders and unknown levels are refused in
sentences."""

from __future__ import annotations

from devopsbot.bootstrap import Container
from tests.functions.test_teams_conversation import BOB, declare, say
from tests.functions.test_teams_tasks import say_mentioning
from tests.support.connector import ConnectorDouble

CAROL = ("29:carol", "Carol Petit")


async def test_invite_brings_the_mentioned_person_in_and_mentions_them_in_the_space(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    answer = await say_mentioning(f"invite {incident_id} <at>Carol Petit</at>", CAROL)
    assert answer == f"Invited to {incident_id}: Carol Petit."
    stored = await installed.dependencies.incidents.get(incident_id)
    assert [p.id for p in stored.invitees] == ["29:carol"]
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert (timeline[-1].kind, timeline[-1].summary) == ("invited", "invited Carol Petit")
    [told] = [s for s in connector.messages() if "invited you" in str(s.activity.get("text", ""))]
    assert told.conversation_id.startswith("team-id")  # the incident's space, not the broadcast channel
    assert f"{incident_id}: <at>Carol Petit</at>, Alice Martin invited you to this incident" in told.activity["text"]
    assert [e["mentioned"]["id"] for e in told.activity["entities"]] == ["29:carol"]


async def test_an_outsider_may_not_invite_anyone_to_a_private_incident(installed: Container) -> None:
    incident_id = await declare(installed, private="true")
    answer = await say_mentioning(f"invite {incident_id} <at>Carol Petit</at>", CAROL, user=BOB)
    assert answer.startswith("Sorry, only the commander, the deputy or an incident admin may invite people to")
    assert (await installed.dependencies.incidents.get(incident_id)).invitees == ()


async def test_the_commander_sets_the_priority_and_others_may_not(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"priority {incident_id} p2 the board is watching"))["text"] == f"{incident_id} is now P2."
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.priority == "P2"
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert (timeline[-1].kind, timeline[-1].summary) == ("priority_changed", "no priority → P2: the board is watching")
    refused = (await say(f"priority {incident_id} P1", user=BOB))["text"]
    assert refused.startswith("Sorry, only the commander, the deputy or an incident admin may change the priority")
    assert (await installed.dependencies.incidents.get(incident_id)).priority == "P2"


async def test_priority_alone_lists_the_levels_and_an_unknown_one_is_said(installed: Container) -> None:
    incident_id = await declare(installed)
    listed = (await say(f"priority {incident_id}"))["text"]
    assert listed.startswith(f"{incident_id} is without a priority now. "
                             "The priority levels, most urgent first: P1, P2, P3, P4.")
    unknown = (await say(f"priority {incident_id} P9 urgent"))["text"]
    assert unknown.startswith(f"There is no priority 'P9'. {incident_id} is without a priority now. "
                              "The priority levels, most urgent first: P1, P2, P3, P4.")
    assert (await installed.dependencies.incidents.get(incident_id)).priority == ""
    french = (await say(f"priority {incident_id}", locale="fr-FR"))["text"]
    assert "Les niveaux de priorité, du plus urgent au moins urgent : P1, P2, P3, P4." in french


async def test_invite_without_a_mention_says_how(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"invite {incident_id}"))["text"] == (
        "Say what goes with it, like this: 'invite @person [@person ...]'.")
