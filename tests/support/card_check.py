"""Cards as Microsoft's Adaptive Cards library (npm ``adaptivecards``, the reference renderer) reads them.

``card_problems`` sends every card through one Node process (tests/support/adaptivecards_check.cjs) and returns,
per card, each warning and error the library reports while parsing it at schema 1.5 and validating it, and a card
too big for Teams. A missing Node.js or library is a failure, not a skip: ``make setup`` installs both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "support" / "adaptivecards_check.cjs"
NO_LIBRARY = 3
MAX_CARD_BYTES = 28_000  # Teams refuses a message over 28 KB; the card is most of it

# The one warning accepted on purpose: Teams' dynamic type-ahead (``choices.data`` = ``Data.Query`` on an
# Input.ChoiceSet) on a 1.5 card. The library knows the property from schema 1.6 on, but Teams renders at most 1.5
# ("Teams is also limited to version 1.5": learn.microsoft.com/microsoft-copilot-studio/guidance/
# adaptive-cards-overview) and documents the property for its cards regardless of their version: its own example
# carries "choices.data" in a "version": "1.2" card (learn.microsoft.com/microsoftteams/platform/task-modules-and-
# cards/cards/dynamic-search, MicrosoftDocs/msteams-docs msteams-platform/task-modules-and-cards/cards/
# dynamic-search.md). Raising the cards to 1.6 would ask Teams for a version it does not render. Only this event,
# on this element, with this exact message: anything else the library says is a problem.
ACCEPTED = frozenset({
    ("UnsupportedProperty", "Input.ChoiceSet",
     'Property "choices.data" is supported in version 1.6, but you are using version 1.5.'),
})


def library_events(cards: Mapping[str, Mapping[str, Any]], check: Path = CHECK) -> dict[str, list[dict[str, str]]]:
    """Everything the library reports for each card, accepted or not: one Node process for them all."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed, so the cards cannot be checked: `make setup` needs Node.js 20 or newer.")
    done = subprocess.run([node, str(check)], input=json.dumps(cards), capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    if done.returncode == NO_LIBRARY:
        said = done.stderr.strip().splitlines()[0]
        pytest.fail(f"{said}. Run `make setup` (npm ci) to install node_modules/adaptivecards; the cards are checked "
                    "with it.")
    assert done.returncode == 0, done.stderr
    found: dict[str, list[dict[str, str]]] = json.loads(done.stdout)
    return found


def card_problems(cards: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Per card, each warning or error the library reports (but the one accepted above) and a size over 28 KB."""
    found: dict[str, list[str]] = {}
    for name, events in library_events(cards).items():
        problems = [f"{e['source'] or 'AdaptiveCard'}: {e['event']}: {e['message']}" for e in events
                    if (e["event"], e["source"], e["message"]) not in ACCEPTED]
        size = len(json.dumps(cards[name]).encode())
        if size > MAX_CARD_BYTES:
            problems.append(f"{size} bytes: over the 28 KB Teams accepts")
        found[name] = problems
    return found


def buttons(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The card's actions: its own row and those of the ActionSets in its body (the incident card's managers' row)."""
    rows = [item["actions"] for item in card.get("body", []) if item.get("type") == "ActionSet"]
    return [*card.get("actions", []), *(action for row in rows for action in row)]
