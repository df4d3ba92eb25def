"""The help card, generated from the command table in the reader's language."""

from __future__ import annotations

from typing import Any

from adapters.templates import markdown_escape, render_card
from bot.commands import COMMANDS
from bot.locale import Translator


def _usage(t: Translator, name: str) -> str:
    spec = COMMANDS[name]
    return t(spec.usage_key) if spec.usage_key else name


def help_text(t: Translator, unknown: str = "") -> str:
    commands = ", ".join(_usage(t, name) for name in COMMANDS)
    notice = t("help.unknown", command=unknown[:60]) + " " if unknown else ""
    return notice + t("help.fallback", commands=commands)


def help_card(t: Translator, unknown: str = "") -> dict[str, Any]:
    return render_card(
        "help",
        heading=t("help.heading"),
        notice=t("help.unknown", command=markdown_escape(unknown[:60])) if unknown else "",
        intro=t("help.intro"),
        commands=[{"usage": f"@devopsbot {_usage(t, name)}", "description": t(spec.description_key)}
                  for name, spec in COMMANDS.items()],
        manual=t("help.manual"),
        fallback=help_text(t, unknown),
    )
