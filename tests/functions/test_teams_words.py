"""What the bot says in Teams: active incidents apart from resolved ones, errors as sentences that say what to
do next in Teams, "did you mean" for a near-miss command, help that fits the conversation."""

from __future__ import annotations

import json

from devopsbot.bootstrap import Container
from tests.functions.conftest import teams_message
from tests.functions.test_teams_conversation import card_of, click, declare, inputs, say, send, texts, threads
from tests.support.connector import ConnectorDouble


async def resolve(incident_id: str) -> None:
    done = await click("incident.resolve", {"incident_id": incident_id, "criterion_service_restored": "true",
                                            "resolution": "Rolled back", "override_reason": "Vendor page down"})
    assert done["type"] == "application/vnd.microsoft.card.adaptive", done


async def test_list_shows_active_incidents_apart_from_resolved_ones(installed: Container) -> None:
    active = await declare(installed)
    resolved = await declare(installed, form_id="form-0000000002", title="Search slow")
    await resolve(resolved)
    listed: str = (await say("list"))["text"]
    active_part, _, resolved_part = listed.partition("Resolved, awaiting a postmortem or closing (1)")
    assert active_part.startswith("**Active incidents (1)**") and active in active_part
    assert resolved not in active_part and f"**{resolved}**" in resolved_part and "Open incidents" not in listed


async def test_list_says_no_active_incident_when_all_are_resolved(installed: Container) -> None:
    resolved = await declare(installed)
    await resolve(resolved)
    listed: str = (await say("list"))["text"]
    assert listed.startswith("No active incidents.") and resolved in listed
    french: str = (await say("list", locale="fr-FR"))["text"]
    assert french.startswith("Aucun incident en cours.") and "Résolus, en attente" in french


async def test_an_unknown_severity_is_a_sentence_naming_the_levels(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"severity {incident_id} SEV9"))["text"] == (
        "SEV9 is not a severity here. Use one of SEV1, SEV2, SEV3, SEV4. Nothing was changed.")
    assert (await say(f"severity {incident_id} SEV9", locale="fr-FR"))["text"] == (
        "SEV9 n'est pas une gravité connue ici. Utilisez l'une de celles-ci : SEV1, SEV2, SEV3, SEV4. "
        "Aucune modification n'a été effectuée.")


async def test_an_incident_id_that_does_not_exist_is_said_so_not_called_an_old_card(installed: Container) -> None:
    assert (await say("status INC-2026-0999"))["text"] == (
        "There is no incident INC-2026-0999. Say 'list' to see the incidents there are.")


async def test_an_error_of_the_process_starts_with_a_capital_and_ends_a_sentence(installed: Container) -> None:
    incident_id = await declare(installed)
    await resolve(incident_id)
    text: str = (await say(f"ack {incident_id}"))["text"]
    assert text == f"{incident_id} cannot move from 'resolved' to 'acknowledged'. Nothing was changed."


async def test_severity_alone_lists_the_levels_with_their_meaning_and_how_to_change_it(installed: Container) -> None:
    text: str = (await say("severity"))["text"]
    assert text.startswith("The severity levels, most severe first:")
    assert "- **SEV1**: Critical: most customers cannot use a core service, or data is at risk" in text
    assert text.index("**SEV1**") < text.index("**SEV2**") < text.index("**SEV4**")
    assert "'severity SEV1 every customer is affected'" in text and "Usage" not in text
    french: str = (await say("severity", locale="fr-FR"))["text"]
    assert french.startswith("Les niveaux de gravité") and "Pour la modifier" in french


async def test_severity_alone_in_an_incident_thread_also_says_its_current_level(
        installed: Container, connector: ConnectorDouble) -> None:
    incident_id = await declare(installed)
    space, _ = threads(connector)
    text: str = (await say("severity", conversation=space.conversation_id))["text"]
    assert text.startswith(f"{incident_id} is SEV2 now. The severity levels")


async def test_a_near_miss_command_gets_did_you_mean_instead_of_the_help_card(installed: Container) -> None:
    reply = await say("delcare")
    assert reply["text"] == ("I don't know the command 'delcare'. Did you mean 'declare'? "
                             "Say 'help' to see every command.")
    assert not reply.get("attachments")
    french = await say("lsit", locale="fr-FR")
    assert french["text"].startswith("Je ne connais pas la commande 'lsit'. Vouliez-vous dire 'list' ?")


async def test_help_in_a_personal_chat_asks_for_no_mention_and_points_to_no_readme(installed: Container) -> None:
    activity = teams_message("help")
    activity["conversation"]["conversationType"] = "personal"
    activity["conversation"]["id"] = "a:personal-chat-with-alice"
    status, body = await send(activity)
    assert status == 200
    card = card_of(body["activities"][0])
    facts = next(b for b in card["body"] if b["type"] == "FactSet")["facts"]
    assert facts[0]["title"] == "help" and all("@devopsbot" not in f["title"] for f in facts)
    assert "Mention" not in json.dumps(card) and "README" not in json.dumps(card)
    assert texts(card)[1] == "Type one of these commands here:"


async def test_help_in_a_channel_says_how_to_mention_the_bot(installed: Container) -> None:
    card = card_of(await say("help"))
    assert texts(card)[1] == "Mention me (@devopsbot) with one of these commands:"
    assert "README" not in json.dumps(card)


async def test_the_resolve_form_labels_the_resolution_plainly(installed: Container) -> None:
    incident_id = await declare(installed)
    card = (await click("incident.resolve_form", {"incident_id": incident_id}))["value"]
    resolution = inputs(card)["resolution"]
    assert resolution["label"] == "Resolution" and resolution["isRequired"] is True


async def test_the_roster_warning_in_teams_says_what_to_do_in_teams(installed: Container,
                                                                    connector: ConnectorDouble) -> None:
    await declare(installed)
    space, _ = threads(connector)
    [warning] = [m.activity["text"] for m in connector.messages() if m.conversation_id == space.conversation_id
                 and "no delegate" in m.activity.get("text", "")]
    assert "python -m devopsbot" not in warning
    assert "An incident admin adds delegates here with 'roster set <service> <role> @primary @delegate'." in warning


async def test_a_command_missing_its_text_says_how_to_write_it(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"update {incident_id}"))["text"] == "Say what goes with it, like this: 'update <text>'."
