"""Type-ahead for the declaration form's long lists: a list too long to ship inside the card (Teams refuses
cards over 28 KB) carries a few choices and a ``Data.Query``; Teams then asks the bot, as the person types,
with an ``application/search`` invoke, answered here from the organisation's configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from incident.policy import OrganisationPolicy

SEARCH_INVOKE = "application/search"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
DATASET_PREFIX = "devopsbot."
LISTED = ("services", "environments", "regions")
MAX_STATIC_CHOICES = 100  # a longer list is searched instead: 300 service names alone would pass 28 KB
SHOWN_BEFORE_TYPING = 15  # Teams' dropdown shows at most 15 options at a time
MAX_QUERY = 100  # characters of the typed text that are looked at


def dataset(name: str) -> str:
    return f"{DATASET_PREFIX}{name}"


def searched_input(choice_set: dict[str, Any], name: str, listed: Sequence[str], chosen: str) -> dict[str, Any]:
    """A long list becomes its first few choices, those already chosen, and a query the bot answers."""
    if len(listed) <= MAX_STATIC_CHOICES:
        return choice_set
    known = set(listed)
    kept = list(dict.fromkeys([*(c for c in chosen.split(",") if c in known), *listed[:SHOWN_BEFORE_TYPING]]))
    return {**choice_set, "choices": [{"title": c, "value": c} for c in kept],
            "choices.data": {"type": "Data.Query", "dataset": dataset(name)}}


def _number(value: Any, default: int, highest: int) -> int:
    return min(max(value, 0), highest) if isinstance(value, int) and not isinstance(value, bool) else default


def search_response(policy: OrganisationPolicy, value: Any) -> dict[str, Any]:
    """The choices whose name contains the typed text (any case), a page at a time; an unknown dataset or
    a malformed query finds nothing."""
    query = value if isinstance(value, dict) else {}
    name = str(query.get("dataset", ""))[:60].removeprefix(DATASET_PREFIX)
    given = query.get("queryOptions")
    options: dict[str, Any] = given if isinstance(given, dict) else {}
    skip = _number(options.get("skip"), 0, 10_000)
    top = _number(options.get("top"), SHOWN_BEFORE_TYPING, SHOWN_BEFORE_TYPING) or SHOWN_BEFORE_TYPING
    typed = str(query.get("queryText", ""))[:MAX_QUERY].strip().casefold()
    listed: Sequence[str] = getattr(policy, name) if name in LISTED else ()
    found = [c for c in listed if typed in c.casefold()][skip:skip + top]
    return {"type": SEARCH_RESPONSE, "value": {"results": [{"title": c, "value": c} for c in found]}}
