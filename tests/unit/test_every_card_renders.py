"""Every card the bot sends, as Microsoft's Adaptive Cards library reads it: no warning, no error, under 28 KB.

The cards come from the bot's own view functions (tests/unit/every_card.py), in English and French; one Node
process checks them all (tests/support/card_check.py). The check itself is tested on cards broken on purpose.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from adapters.templates import CARDS, card_environment
from bot.locale import Translator
from bot.replies import help_card
from incident.policy import OrganisationPolicy
from tests.support.card_check import ACCEPTED, CHECK, MAX_CARD_BYTES, card_problems, library_events
from tests.unit.every_card import declaration_cards, every_card

CROWDED = "declaration form with 300 services and 40 people"


def test_every_card_parses_and_validates_without_a_warning_in_both_languages(policy: OrganisationPolicy) -> None:
    cards = every_card(policy)
    assert len(cards) > 90 and {name.split(":")[0] for name in cards} == {"en", "fr"}
    assert card_problems(cards) == {name: [] for name in cards}


def test_every_template_is_among_the_cards_checked(policy: OrganisationPolicy,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    environment = card_environment()
    used: set[str] = set()
    original = environment.get_template

    def recording(name: str, *args: Any, **kwargs: Any) -> Any:
        used.add(name.removesuffix(".json.j2"))
        return original(name, *args, **kwargs)

    monkeypatch.setattr(environment, "get_template", recording)
    every_card(policy, languages=("en",))
    assert used == {path.name.removesuffix(".json.j2") for path in CARDS.glob("*.json.j2")}


def test_the_type_ahead_is_the_one_warning_accepted_and_only_where_it_is(policy: OrganisationPolicy) -> None:
    crowded = declaration_cards(policy, Translator("en"))[CROWDED]
    events = library_events({"form": crowded})["form"]
    assert events and {(e["event"], e["source"], e["message"]) for e in events} == set(ACCEPTED)
    assert json.dumps(crowded).count('"choices.data"') == len(events) == 4  # three lists and the people search


def broken(card: dict[str, Any], change: str) -> dict[str, Any]:
    card = copy.deepcopy(card)
    field = {"type": "Input.Text", "id": "why", "label": "Why"}
    if change == "unknown element":
        card["body"].append({"type": "Input.Slider", "id": "level"})
    elif change == "required input without an error message":
        card["body"].append({**field, "isRequired": True})
    elif change == "required input without a label":
        card["body"].append({**field, "isRequired": True, "errorMessage": "Say why.", "label": ""})
    elif change == "a 1.6 property on an input":
        card["body"].append({**field, "labelPosition": "inline"})
    elif change == "the type-ahead's warning on another property":
        card["body"].append({"type": "Input.ChoiceSet", "id": "pick", "label": "Pick",
                             "choices": [{"title": "A", "value": "a"}],
                             "choices.data": {"type": "Data.Query", "dataset": "x"}, "labelWidth": 30})
    elif change == "six buttons":
        card["actions"] = [{"type": "Action.OpenUrl", "title": f"Link {n}", "url": "https://contoso.example"}
                           for n in range(6)]
    elif change == "two inputs with one id":
        card["body"].extend([{**field}, {**field}])
    elif change == "too big":
        card["body"].append({"type": "TextBlock", "text": "x" * MAX_CARD_BYTES, "wrap": True})
    return card


CHANGES = ["unknown element", "required input without an error message", "required input without a label",
           "a 1.6 property on an input", "the type-ahead's warning on another property", "six buttons",
           "two inputs with one id", "too big"]


def test_a_card_broken_on_purpose_is_reported() -> None:
    sound = help_card(Translator("en"))
    cards = {change: broken(sound, change) for change in CHANGES} | {"sound": sound}
    found = card_problems(cards)
    assert found.pop("sound") == []
    assert {change: len(problems) for change, problems in found.items()} == dict.fromkeys(CHANGES, 1)
    assert found["unknown element"][0].startswith("AdaptiveCard: UnknownElementType:")
    assert found["required input without an error message"] == [
        "Input.Text: RequiredInputsShouldHaveErrorMessage: Required inputs should have an error message"]
    assert "labelPosition" in found["a 1.6 property on an input"][0]
    assert "labelWidth" in found["the type-ahead's warning on another property"][0]  # choices.data itself passes
    assert "TooManyActions" in found["six buttons"][0]
    assert found["too big"][0].endswith("bytes: over the 28 KB Teams accepts")


def test_without_the_library_the_check_fails_and_says_how_to_install_it(tmp_path: Path) -> None:
    outside = tmp_path / "adaptivecards_check.cjs"  # where no node_modules can be found
    shutil.copy(CHECK, outside)
    with pytest.raises(pytest.fail.Exception, match=r"adaptivecards is not installed .*Run `make setup` \(npm ci\)"):
        library_events({"help": help_card(Translator("en"))}, check=outside)
