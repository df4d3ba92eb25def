"""The reader's language from an HTTP request's ``Accept-Language`` header: English or French, English by default.

The header is the browser's, so untrusted: only its first ``MAX_HEADER`` characters and ``MAX_RANGES`` ranges
are read, each split once on ``;`` and ``=`` (a linear scan, no regular expression).
"""

from __future__ import annotations

from bot.locale import DEFAULT, SUPPORTED, language_of

MAX_HEADER = 256
MAX_RANGES = 16


def _quality(parameters: str) -> float:
    """``q=0.8`` → 0.8; a missing or malformed weight counts as 1, out-of-range ones are clamped."""
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        quality = float(value.strip()[:5])
    except ValueError:
        return 0.0
    return min(max(quality, 0.0), 1.0)


def preferred_language(header: str | None) -> str:
    """The supported language the header weights highest (the first listed wins a tie), else English."""
    best, best_quality = DEFAULT, 0.0
    for item in (header or "")[:MAX_HEADER].split(",")[:MAX_RANGES]:
        tag, _, parameters = item.partition(";")
        tag = tag.strip()
        language = language_of(tag)
        if not tag or (language == DEFAULT and not tag.lower().startswith(DEFAULT)) or language not in SUPPORTED:
            continue
        quality = _quality(parameters)
        if quality > best_quality:
            best, best_quality = language, quality
    return best
