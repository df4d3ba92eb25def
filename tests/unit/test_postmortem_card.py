"""The postmortem card stays within Teams' 28 KB, whatever was written."""

from __future__ import annotations

import json
from typing import Any

from bot.locale import Translator
from bot.postmortem import postmortem_card
from incident.policy import OrganisationPolicy
from tests.unit.postmortem_fixtures import longest_postmortem, rich_incident


def inputs(card: dict[str, Any]) -> set[str]:
    return {str(i["id"]) for i in card["body"] if str(i.get("type", "")).startswith("Input.")}


def test_a_postmortem_too_long_for_a_card_is_shown_cut_and_read_only(policy: OrganisationPolicy) -> None:
    card = postmortem_card(longest_postmortem(policy, "Long text. "), Translator("en"))
    assert len(json.dumps(card).encode()) < 28_000
    assert inputs(card) == set()
    text = json.dumps(card)
    assert "too long to edit in Teams" in text and "ask an incident admin" in text and "python -m" not in text
    assert "and 35 more in the incident document" in text


def test_an_ordinary_postmortem_is_edited_on_the_card(policy: OrganisationPolicy) -> None:
    card = postmortem_card(rich_incident(policy), Translator("en"))
    assert inputs(card) == {"summary", "impact", "went_well", "went_wrong", "got_lucky", "contributing_factors"}
