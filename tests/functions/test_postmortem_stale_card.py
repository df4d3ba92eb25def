"""Saving a postmortem card that is out of date never overwrites what others wrote since it was shown."""

from __future__ import annotations

from typing import Any

from devopsbot.bootstrap import Container
from tests.functions.test_postmortem_teams import resolved
from tests.functions.test_teams_conversation import card_of, click, say


async def save_data(incident_id: str) -> dict[str, Any]:
    """What the card's Save button sends besides the inputs: the incident and what the card showed."""
    card = card_of(await say(f"postmortem {incident_id}"))
    [save] = [a for a in card["actions"] if a.get("verb") == "postmortem.save"]
    return dict(save["data"])


async def test_a_stale_card_saves_only_what_its_user_changed_and_refuses_what_both_changed(
        installed: Container) -> None:
    incident_id = await resolved(installed)
    stale = await save_data(incident_id)
    fresh = await save_data(incident_id)
    await click("postmortem.save", {**fresh, "summary": "Release 42 broke card payments",
                                    "impact": "30% of checkouts failed", "went_well": ""})
    answer = await click("postmortem.save", {**stale, "summary": "Checkout was down", "impact": "",
                                             "went_well": "Rollback took 5 minutes", "went_wrong": "",
                                             "got_lucky": "", "contributing_factors": ""})
    stored = (await installed.dependencies.incidents.get(incident_id)).postmortem
    assert stored is not None
    assert (stored.summary, stored.impact, stored.went_well) == (
        "Release 42 broke card payments", "30% of checkouts failed", "Rollback took 5 minutes")
    notice = answer["value"]["body"][1]["text"]  # the notice, right below the heading
    assert "someone else changed them since this card was shown: Summary." in notice
    assert "Impact" not in notice
