"""The two message catalogues (bot/locales) say the same things: every key in both, the same placeholders."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from bot.locale import LOCALES, SUPPORTED

ROOT = Path(__file__).resolve().parents[2]
# ``t("key"`` in the code that speaks to people: a bounded pattern, no nested repeats.
KEY_USE = re.compile(r'\bt\(\s{0,20}"([a-z0-9_.]{1,120})"')


def _catalogue(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return data


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize(("language", "other"), [("en", "fr"), ("fr", "en")])
def test_every_key_of_one_catalogue_is_in_the_other(language: str, other: str) -> None:
    missing = sorted(set(_catalogue(language)) - set(_catalogue(other)))
    assert missing == [], f"{other}.json lacks keys that {language}.json has: {missing}"


def test_a_key_has_the_same_placeholders_in_both_languages() -> None:
    english, french = _catalogue("en"), _catalogue("fr")
    differing = {key: (sorted(_placeholders(english[key])), sorted(_placeholders(french[key])))
                 for key in english.keys() & french.keys()
                 if _placeholders(english[key]) != _placeholders(french[key])}
    assert differing == {}, f"placeholders differ between en.json and fr.json: {differing}"


def test_no_translation_is_empty() -> None:
    empty = [(language, key) for language in SUPPORTED for key, text in _catalogue(language).items()
             if not text.strip()]
    assert empty == []


def test_every_key_the_code_asks_for_is_in_the_catalogues() -> None:
    used: dict[str, str] = {}
    for folder in ("bot", "functions", "services", "devopsbot"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
                used.setdefault(key, str(path.relative_to(ROOT)))
    used.pop("key", None)  # bot/locale.py's docstring example
    for language in SUPPORTED:
        missing = {key: where for key, where in used.items() if key not in _catalogue(language)}
        assert missing == {}, f"{language}.json lacks keys the code uses: {missing}"
