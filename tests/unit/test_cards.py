"""Card templates: values are escaped JSON literals, undefined variables fail, every card renders."""

from __future__ import annotations

import json

import jinja2
import pytest

from adapters.templates import CARDS, card_environment, render_card
from bot.replies import help_card

HOSTILE = 'Quote " backslash \\ newline \n <script>alert(1)</script> {{ 7*7 }} ${x} \u2028'


def test_hostile_values_arrive_verbatim_as_json_strings() -> None:
    card = help_card(unknown=HOSTILE)
    notice = card["body"][1]["text"]
    assert notice == f"I don't know the command '{HOSTILE[:60]}'."
    assert "49" not in json.dumps(card)  # the template engine did not evaluate user text


def test_an_undefined_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_card("help", heading="h", notice="", intro="i", commands=[], manual="m")


def test_every_card_template_renders_to_an_adaptive_card_within_schema_1_5() -> None:
    names = sorted(p.name.removesuffix(".json.j2") for p in CARDS.glob("*.json.j2"))
    assert names == ["help"]  # a new card must be added to this list with sample data below
    samples = {"help": help_card()}
    for name in names:
        card = samples[name]
        assert card["type"] == "AdaptiveCard"
        assert float(card["version"]) <= 1.5
        assert len(json.dumps(card).encode()) < 28_000  # Teams' card size limit


def test_the_environment_is_built_once() -> None:
    assert card_environment() is card_environment()
