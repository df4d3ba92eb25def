"""The declaration form for a bad moment: the essentials first, compact lists that scale, short severities."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.declaration import declaration_card
from bot.locale import Translator
from bot.setup import TeamsSetup
from bot.views import Member
from incident.policy import OrganisationPolicy

ESSENTIALS = ["title", "severity", "type", "commander", "private"]
LISTS = ["services", "environments", "regions", "invitees"]


def card(policy: OrganisationPolicy, members: int = 3, language: str = "en", **kwargs: Any) -> dict[str, Any]:
    people = [Member(f"29:person-{i:03d}", f"Person Number {i:03d}") for i in range(members)]
    return declaration_card(policy, TeamsSetup(), Translator(language), people, form_id="abcdef012345", **kwargs)


def top_inputs(form: dict[str, Any]) -> list[str]:
    return [item["id"] for item in form["body"] if str(item.get("type", "")).startswith("Input.")]


def details(form: dict[str, Any]) -> dict[str, Any]:
    [container] = [item for item in form["body"] if item.get("id") == "more_details"]
    return dict(container)


def test_only_the_essentials_show_and_the_rest_opens_with_more_details(policy: OrganisationPolicy) -> None:
    form = card(policy)
    assert top_inputs(form) == ESSENTIALS
    [actions] = [item for item in form["body"] if item["type"] == "ActionSet"]
    [toggle] = actions["actions"]
    assert (toggle["type"], toggle["title"], toggle["targetElements"]) == (
        "Action.ToggleVisibility", "More details", ["more_details"])
    hidden = details(form)
    assert hidden["type"] == "Container" and hidden["isVisible"] is False
    assert [i["id"] for i in hidden["items"]] == [
        "summary", "affects_customers", "unplanned", "long_running", *LISTS[:3], "responder", "invitees", "broadcast"]
    assert all(i.get("isRequired") is not True for i in hidden["items"]), "a hidden required field blocks the submit"


def test_lists_are_compact_multi_selects_with_type_ahead(policy: OrganisationPolicy) -> None:
    lists = {i["id"]: i for i in details(card(policy))["items"] if i["id"] in LISTS}
    assert {name: (i["type"], i["isMultiSelect"], i["style"]) for name, i in lists.items()} == {
        name: ("Input.ChoiceSet", True, "filtered") for name in LISTS}


def test_the_criteria_start_ticked_and_keep_what_was_unticked(policy: OrganisationPolicy) -> None:
    fresh = {i["id"]: i["value"] for i in details(card(policy))["items"] if i["type"] == "Input.Toggle"}
    assert fresh == {"affects_customers": "true", "unplanned": "true", "long_running": "true"}
    again = card(policy, values={"long_running": "false"})
    kept = {i["id"]: i["value"] for i in details(again)["items"] if i["type"] == "Input.Toggle"}
    assert kept["long_running"] == "false"


def test_an_error_in_a_detail_opens_the_details_beside_it(policy: OrganisationPolicy) -> None:
    assert details(card(policy, errors={"title": "x"}))["isVisible"] is False
    opened = details(card(policy, errors={"services": "Choose at most 50 here."}))
    assert opened["isVisible"] is True
    items = opened["items"]
    after = items[[i.get("id") for i in items].index("services") + 1]
    assert after["type"] == "TextBlock" and after["text"] == "Choose at most 50 here."


def test_an_empty_title_is_refused_by_the_card_with_a_sentence(policy: OrganisationPolicy) -> None:
    [title] = [i for i in card(policy)["body"] if i.get("id") == "title"]
    assert title["isRequired"] is True
    assert title["errorMessage"] == (
        "Give the incident a title: a few words saying what is broken, as customers see it.")


def test_severity_choices_are_short_enough_not_to_be_cut(policy: OrganisationPolicy) -> None:
    [severity] = [i for i in card(policy)["body"] if i.get("id") == "severity"]  # in the body: the full width
    assert [c["title"] for c in severity["choices"]] == [
        "SEV1 — critical", "SEV2 — major", "SEV3 — minor", "SEV4 — low"]
    assert severity["style"] == "compact" and severity["value"] == "SEV2"


@pytest.mark.parametrize("count", [100, 300])
def test_hundreds_of_services_and_a_big_team_stay_under_28_kb(policy: OrganisationPolicy, count: int) -> None:
    many = replace(policy, services=tuple(f"payments-gateway-api-{i:03d}" for i in range(count)),
                   environments=tuple(f"environment-{i:02d}" for i in range(20)),
                   regions=tuple(f"region-{i:02d}" for i in range(30)))
    chosen = "payments-gateway-api-099,payments-gateway-api-000"
    form = card(many, members=200, values={"title": "t" * 200, "summary": "s" * 4000, "services": chosen},
                errors={"title": "x" * 200, "services": "x" * 200}, notice="n" * 200)
    size = len(json.dumps(form, ensure_ascii=False).encode())
    assert size < 28_000, size
    [services] = [i for i in details(form)["items"] if i.get("id") == "services"]
    assert (services["style"], services["isMultiSelect"], services["value"]) == ("filtered", True, chosen)
    offered = [c["value"] for c in services["choices"]]
    assert {"payments-gateway-api-099", "payments-gateway-api-000"} <= set(offered)  # what was chosen still shows
    if count > 100:  # the rest is found as one types: Teams asks the bot (tests/functions/test_declaration_form.py)
        assert len(offered) < 20 and services["choices.data"] == {"type": "Data.Query", "dataset": "devopsbot.services"}
    else:
        assert len(offered) == count and "choices.data" not in services
