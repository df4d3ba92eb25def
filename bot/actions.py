"""Adaptive Card actions and inputs as data: every button an Action.Execute with an Action.Submit fallback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.templates import markdown_escape
from bot.card_colours import ERROR


def execute(title: str, verb: str, data: dict[str, Any], *, style: str = "") -> dict[str, Any]:
    """Teams sends Action.Execute as an adaptiveCard/action invoke; older clients fall back to a
    submit carrying the same verb, which the bot routes the same way."""
    action: dict[str, Any] = {
        "type": "Action.Execute", "title": title, "verb": verb, "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": {**data, "verb": verb}},
    }
    if style:
        action["style"] = style
    return action


def show_card(title: str, body: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "body": list(body), "actions": list(actions)}}


def choices(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """(value, title) pairs as Input.ChoiceSet choices."""
    return [{"title": title, "value": value} for value, title in pairs]


def text_input(input_id: str, label: str, *, value: str = "", placeholder: str = "", multiline: bool = False,
               max_length: int = 4000, required: bool = False, error_message: str = "") -> dict[str, Any]:
    """``error_message`` is what the client shows beside a required field left empty, before anything is sent."""
    field = {"type": "Input.Text", "id": input_id, "label": label, "value": value, "placeholder": placeholder,
             "isMultiline": multiline, "maxLength": max_length, "isRequired": required}
    if error_message:
        field["errorMessage"] = error_message
    return field


def choice_input(input_id: str, label: str, options: Sequence[tuple[str, str]], *, value: str = "",
                 multi: bool = False, required: bool = False, filtered: bool = False,
                 error_message: str = "") -> dict[str, Any]:
    """``filtered``: a compact list that narrows as one types (Teams' static type-ahead), which scales to
    hundreds of choices; otherwise a dropdown, or a list of checkboxes when several may be chosen."""
    style = "filtered" if filtered else "expanded" if multi else "compact"
    field = {"type": "Input.ChoiceSet", "id": input_id, "label": label, "choices": choices(options),
             "value": value, "isMultiSelect": multi, "style": style, "isRequired": required}
    if error_message:
        field["errorMessage"] = error_message
    return field


def toggle_input(input_id: str, title: str, *, value: bool = False) -> dict[str, Any]:
    return {"type": "Input.Toggle", "id": input_id, "title": title, "value": "true" if value else "false",
            "valueOn": "true", "valueOff": "false"}


def error_text(message: str) -> dict[str, Any]:
    """Bold, in a colour readable in every Teams theme (bot/card_colours.py), right below its field."""
    return {"type": "TextBlock", "text": markdown_escape(message), "color": ERROR, "weight": "Bolder", "wrap": True,
            "size": "Small", "spacing": "None"}
