"""Saving a postmortem card without losing other people's edits.

The card carries a short fingerprint of each section as it showed it. On save, a section the person left
as shown is not written (someone may have changed it since); a section they changed is written only if
nobody else changed it since the card was shown; if both did, it is refused and named, never overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from incident.postmortem import SECTIONS, Postmortem

FACTORS = "contributing_factors"  # the contributing factors, one per line, as the card edits them


def fingerprint(text: str) -> str:
    """Short, yet long enough that two different texts of one section never share it in practice."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def card_values(postmortem: Postmortem) -> dict[str, str]:
    """Each editable field of the card as the card shows it."""
    values = {key: postmortem.section(key) for key in SECTIONS}
    values[FACTORS] = "\n".join(postmortem.contributing_factors)
    return values


def shown_fingerprints(postmortem: Postmortem) -> dict[str, str]:
    return {key: fingerprint(value) for key, value in card_values(postmortem).items()}


def merge(postmortem: Postmortem, submitted: Mapping[str, str],
          shown: Mapping[str, str] | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """What to write and which fields to refuse. ``shown`` None: a card from before fingerprints, whose
    fields are written as submitted (it is replaced by a fingerprinted card on its first action)."""
    if shown is None:
        return dict(submitted), ()
    stored = card_values(postmortem)
    write: dict[str, str] = {}
    refused: list[str] = []
    for key, value in submitted.items():
        seen = shown.get(key)
        if seen is not None and fingerprint(value) == seen:
            continue  # left as shown: whatever is stored now stays
        if value == stored.get(key):
            continue  # already what they want
        if seen is None or fingerprint(stored.get(key, "")) != seen:
            refused.append(key)  # changed here and by someone else since the card was shown
            continue
        write[key] = value
    return write, tuple(refused)
