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


def facts(card: dict[str, Any]) -> dict[str, str]:
    found = next(b for b in card["body"] if b.get("type") == "FactSet")
    return {str(f["title"]): str(f["value"]) for f in found["facts"]}


def test_the_due_date_is_in_the_readers_zone_and_the_status_in_their_language(policy: OrganisationPolicy) -> None:
    """As on the incident card: Teams writes the instant in the reader's zone, not a fixed "UTC" one."""
    incident = rich_incident(policy)
    assert incident.postmortem is not None
    stamp = incident.postmortem.due_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    english = facts(postmortem_card(incident, Translator("en")))
    assert english["Due"] == f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"
    assert english["Incident"] == "Postmortem"  # its status, as the incident card words it
    assert facts(postmortem_card(incident, Translator("fr")))["Incident"] == "Post-mortem"
