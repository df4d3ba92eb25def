"""Which Adaptive Card colour names the cards use for headings and inline errors, chosen for contrast.

A card names a colour ("Default", "Accent", "Good", "Warning", "Attention"); Teams maps each name to a value
per theme. Only "Default" and "Accent" reach WCAG's 4.5:1 against the background in all three Teams themes
(light, dark, high contrast): "Warning" is yellow on white (1.5:1), "Good" light green on white (2.1:1) and
"Attention" red on the dark theme's grey (3.2:1). tests/unit/test_card_contrast.py checks the values.
"""

from __future__ import annotations

URGENT = "Accent"  # the two most severe levels: the one colour that stands out and stays readable
PLAIN = "Default"
ERROR = "Default"  # inline errors: readable everywhere; bold and placed beside their field, so not colour alone
MOST_URGENT_RANKS = 2


def heading_colour(rank: int, active: bool) -> str:
    """An active incident of the most severe levels stands out; the rest, and anything resolved, read plainly."""
    return URGENT if active and rank <= MOST_URGENT_RANKS else PLAIN
