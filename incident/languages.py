"""The languages devopsbot writes in: English and French. A Teams locale or a configured language becomes one."""

from __future__ import annotations

from incident.errors import InvalidValue

SUPPORTED = ("en", "fr")
DEFAULT = "en"
NAMES = {"en": "English", "fr": "French"}


def language_of(locale: str | None) -> str:
    """``fr-FR``, ``fr_CA`` or ``FR`` → ``fr``; anything unsupported → English."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED else DEFAULT


def configured_language(value: str, field: str = "language") -> str:
    """A language written in a configuration file or a roster: "" (not said), a supported language or one of
    its regional forms (``fr-CA`` → ``fr``); anything else is refused with a sentence naming the choices."""
    text = value.strip()
    if not text:
        return ""
    language = text.replace("_", "-").split("-")[0].lower()
    if language not in SUPPORTED or len(text) > 35:
        choices = " or ".join(f'"{code}" ({name})' for code, name in NAMES.items())
        raise InvalidValue(field, f"'{text[:35]}' is not a language devopsbot writes in: use {choices}")
    return language
