"""The help card, generated from the command table in the reader's language, and the answer to a command the
bot does not know: "did you mean" when it is one slip from a known one, else the help card."""

from __future__ import annotations

from typing import Any

from adapters.templates import markdown_escape, render_card
from bot.commands import COMMANDS, nearest_command
from bot.locale import Translator


def _usage(t: Translator, name: str) -> str:
    spec = COMMANDS[name]
    return t(spec.usage_key) if spec.usage_key else name


def help_text(t: Translator, unknown: str = "") -> str:
    commands = ", ".join(_usage(t, name) for name in COMMANDS)
    notice = t("help.unknown", command=unknown[:60]) + " " if unknown else ""
    return notice + t("help.fallback", commands=commands)


def help_card(t: Translator, unknown: str = "", *, personal: bool = False) -> dict[str, Any]:
    """In a personal chat the bot reads every message, so the help does not ask for a mention."""
    prefix = "" if personal else "@devopsbot "
    return render_card(
        "help",
        heading=t("help.heading"),
        notice=t("help.unknown", command=markdown_escape(unknown[:60])) if unknown else "",
        intro=t("help.intro_personal" if personal else "help.intro"),
        commands=[{"usage": f"{prefix}{_usage(t, name)}", "description": t(spec.description_key)}
                  for name, spec in COMMANDS.items()],
        manual=t("help.manual"),
        fallback=help_text(t, unknown),
    )


def unknown_command(t: Translator, word: str, *, personal: bool = False) -> tuple[str, dict[str, Any] | None]:
    """A line saying which known command ``word`` is a slip of, or (when none is near) the help card."""
    suggestion = nearest_command(word)
    if suggestion:
        return t("help.did_you_mean", command=markdown_escape(word[:60]), suggestion=suggestion), None
    return "", help_card(t, unknown=word, personal=personal)
