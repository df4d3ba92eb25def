"""Adaptive Card actions and inputs as data: every button an Action.Execute with an Action.Submit fallback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.templates import markdown_escape


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
               max_length: int = 4000, required: bool = False) -> dict[str, Any]:
    return {"type": "Input.Text", "id": input_id, "label": label, "value": value, "placeholder": placeholder,
            "isMultiline": multiline, "maxLength": max_length, "isRequired": required}


def choice_input(input_id: str, label: str, options: Sequence[tuple[str, str]], *, value: str = "",
                 multi: bool = False, required: bool = False) -> dict[str, Any]:
    return {"type": "Input.ChoiceSet", "id": input_id, "label": label, "choices": choices(options),
            "value": value, "isMultiSelect": multi, "style": "compact" if not multi else "expanded",
            "isRequired": required}


def toggle_input(input_id: str, title: str, *, value: bool = False) -> dict[str, Any]:
    return {"type": "Input.Toggle", "id": input_id, "title": title, "value": "true" if value else "false",
            "valueOn": "true", "valueOff": "false"}


def error_text(message: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": markdown_escape(message), "color": "Attention", "wrap": True, "size": "Small",
            "spacing": "None"}
