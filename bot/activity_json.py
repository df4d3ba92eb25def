"""An activity (or any Bot Framework schema model) as the JSON the Bot Connector client sends, cheaply.

msrest's ``Serializer.body`` first rebuilds the model through its deserializer, validates it, then serializes
it attribute by attribute: about 0.8 ms of CPU for an incident card's activity even with
``PlainJsonSerializer``, half of a proactive call's (bench/teams_calls.py). For a model whose values are all
of the plain kinds below, that JSON is simply each non-None attribute under its wire name: strings (a string
enum's value), booleans, ints, floats, plain JSON for ``object`` attributes, and nested models, lists and
dicts of them. Anything else (a datetime, bytes, a dict where a model is expected, None inside a list) is left
to msrest, whose answer is the reference (tests/functions/test_connector_rest.py compares the two paths).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from msrest.serialization import Model

from bot.connector_cost import _plain_json


class _NotPlain(Exception):
    """A value msrest must serialize itself."""


def _value(value: Any, kind: str) -> Any:
    if kind == "str":
        if type(value) is str:
            return value
        if isinstance(value, Enum) and type(value.value) is str:
            return value.value
    elif kind in ("bool", "int", "float"):
        if type(value).__name__ == kind:
            return value
    elif kind == "object":
        if _plain_json(value):
            return value
    elif kind.startswith("[") and type(value) is list:
        return [_value(item, kind[1:-1]) for item in value if item is not None or _not_plain()]
    elif kind.startswith("{") and type(value) is dict:
        return {key: _value(item, kind[1:-1]) for key, item in value.items()
                if (type(key) is str and item is not None) or _not_plain()}
    elif isinstance(value, Model) and not value.is_xml_model():  # type: ignore[no-untyped-call]  # msrest is untyped
        return _model(value)
    raise _NotPlain


def _not_plain() -> bool:
    raise _NotPlain


def _model(model: Model) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for attribute, description in model._attribute_map.items():
        value = getattr(model, attribute, None)
        if value is None:
            continue
        if model._validation.get(attribute, {}).get("readonly") or not description["key"] or "." in description["key"]:
            raise _NotPlain  # read-only, extra or flattened attributes: msrest's rules
        found[description["key"]] = _value(value, description["type"])
    return found


def model_json(serializer: Any, model: Model, kind: str) -> dict[str, Any]:
    """``serializer.body(model, kind)``, without msrest's work when the model is plain."""
    if type(model).__name__ == kind:
        try:
            return _model(model)
        except _NotPlain:
            pass
    found: dict[str, Any] = serializer.body(model, kind)
    return found
