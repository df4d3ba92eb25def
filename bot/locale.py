"""Replies and cards in the user's Teams language: English and French ship; English is the fallback."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from incident.languages import DEFAULT, SUPPORTED, language_of

LOCALES = Path(__file__).resolve().parent / "locales"
__all__ = ["DEFAULT", "SUPPORTED", "Translator", "language_of"]  # one reading of a locale (incident/languages.py)


@cache
def _catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return data


class Translator:
    """``t("key", name=value)``: the text in this language, with its placeholders filled."""

    def __init__(self, locale: str | None = None) -> None:
        self.language = language_of(locale)
        self._texts = _catalog(self.language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or _catalog(DEFAULT)[key]
        return text.format(**values) if values else text
