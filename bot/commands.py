"""What the bot understands in a message: the command table, parsing, and the help it derives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    description: str


# The commands the bot answers today; help is generated from this table, so it never lies.
COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("help", "help", "Show what I can do."),
}

MAX_COMMAND_TEXT = 4000


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower-case first word; empty for an empty message
    arguments: str

    @property
    def known(self) -> bool:
        return self.name in COMMANDS


def parse_command(text: str) -> ParsedCommand:
    """Split a message (mention already removed) into a command word and the rest."""
    cleaned = " ".join(text.replace("\u00a0", " ").split())[:MAX_COMMAND_TEXT]
    name, _, arguments = cleaned.partition(" ")
    return ParsedCommand(name=name.lower().lstrip("/"), arguments=arguments)
