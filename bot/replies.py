"""Replies the bot sends, built from card templates (no botbuilder types here)."""

from __future__ import annotations

from typing import Any

from adapters.templates import render_card
from bot.commands import COMMANDS

MANUAL_PROCESS = ("If I am down, follow the manual process in the README: declare in the incidents "
                  "channel, name a commander, and post updates every 30 minutes.")


def help_card(unknown: str = "") -> dict[str, Any]:
    notice = f"I don't know the command '{unknown[:60]}'." if unknown else ""
    return render_card(
        "help",
        heading="devopsbot — incident management in Teams",
        notice=notice,
        intro="Mention me with one of these commands:",
        commands=[{"usage": f"@devopsbot {c.usage}", "description": c.description}
                  for c in COMMANDS.values()],
        manual=MANUAL_PROCESS,
        fallback=help_text(unknown),
    )


def help_text(unknown: str = "") -> str:
    lines = [f"I don't know the command '{unknown[:60]}'. " if unknown else "",
             "Commands: " + ", ".join(c.usage for c in COMMANDS.values())]
    return "".join(lines)
