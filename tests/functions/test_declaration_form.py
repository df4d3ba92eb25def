"""The short declaration form through Teams activities: what its submissions look like, what comes back."""

from __future__ import annotations

from typing import Any

from devopsbot.bootstrap import Container
from tests.functions.conftest import teams_invoke
from tests.functions.test_teams_conversation import card_of, click, declared_id, elements, inputs, say, send

ESSENTIALS = {"form_id": "form-0000000002", "title": "Checkout failing", "severity": "SEV2", "type": "outage",
              "commander": "29:alice", "private": "false", "confirm_not_incident": False}


def beside(card: dict[str, Any], field: str) -> dict[str, Any]:
    """The element right after a field: where its error goes."""
    found = elements(card["body"])
    return found[found.index(inputs(card)[field]) + 1]


def more_details(card: dict[str, Any]) -> dict[str, Any]:
    [container] = [e for e in elements(card["body"]) if e.get("id") == "more_details"]
    return container


async def test_the_essentials_alone_declare_an_incident(installed: Container) -> None:
    answer = await click("declare.submit", ESSENTIALS)
    stored = await installed.dependencies.incidents.get(declared_id(answer))
    assert (stored.title, stored.severity, stored.type, stored.services) == ("Checkout failing", "SEV2", "outage", ())


async def test_multi_select_lists_arrive_as_one_string_and_repeats_count_once(installed: Container) -> None:
    # A type-ahead list sends "a,b"; a checkbox list from a card posted before this change sends the same, with
    # spaces; a repeated choice is one service, and repeats do not count towards the 50 a list may hold.
    answer = await click("declare.submit", {**ESSENTIALS, "services": "checkout, payments," + "checkout," * 60,
                                            "environments": "production", "regions": "westeurope,northeurope",
                                            "invitees": "29:alice,29:alice", "affects_customers": "true",
                                            "unplanned": "true", "long_running": "true"})
    stored = await installed.dependencies.incidents.get(declared_id(answer))
    assert (stored.services, stored.environments, stored.regions) == (
        ("checkout", "payments"), ("production",), ("westeurope", "northeurope"))


async def test_too_many_choices_are_refused_with_a_sentence_beside_the_list(installed: Container) -> None:
    for services in (",".join(f"service-{i}" for i in range(60)), "x," * 6_000):  # 12 KB: past any real list
        card = (await click("declare.submit", {**ESSENTIALS, "services": services}))["value"]
        assert beside(card, "services")["text"] == "Choose at most 50 here."
        assert more_details(card)["isVisible"] is True  # the list with the error is open
        assert len(inputs(card)["services"]["value"]) <= 500  # the forged text is not echoed back in full
    assert await installed.dependencies.incidents.list_open() == []


async def test_an_empty_title_gets_a_sentence_in_the_readers_language(installed: Container) -> None:
    card = (await click("declare.submit", {**ESSENTIALS, "title": "  "}, locale="fr-FR"))["value"]
    assert beside(card, "title")["text"] == (
        "Donnez un titre à l'incident : quelques mots qui disent ce qui est en panne, tel que les clients le voient.")
    form = card_of(await say("declare", locale="fr-FR"))
    assert inputs(form)["title"]["errorMessage"] == beside(card, "title")["text"]
    assert await installed.dependencies.incidents.list_open() == []


async def test_typing_in_a_long_list_asks_the_bot_which_choices_match(installed: Container) -> None:
    search = {**teams_invoke("", {}), "name": "application/search",
              "value": {"queryText": "PAY", "queryOptions": {"skip": 0, "top": 15}, "dataset": "devopsbot.services"}}
    status, body = await send(search)
    assert status == 200
    assert body == {"type": "application/vnd.microsoft.search.searchResponse",
                    "value": {"results": [{"title": "payments", "value": "payments"}]}}
    status, body = await send({**search, "value": {"queryText": "", "dataset": "devopsbot.regions"}})
    assert [r["value"] for r in body["value"]["results"]] == ["westeurope", "northeurope", "eastus", "southeastasia"]
    status, body = await send({**search, "value": {"queryText": "a", "dataset": "devopsbot.admins"}})
    assert body["value"]["results"] == []  # only the form's lists are searched
