"""What the bot says in Teams: active incidents apart from resolved ones, errors as sentences that say what to
do next in Teams, "did you mean" for a near-miss command, help that fits the conversation."""

from __future__ import annotations

from devopsbot.bootstrap import Container
from tests.functions.test_teams_conversation import click, declare, say


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
