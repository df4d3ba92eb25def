"""What the bot understands in a message: the command table, parsing, and the help it derives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage_key: str  # a locale key, or "" when the usage is the bare name
    description_key: str


# Help is generated from this table; a test checks the bot answers exactly these commands.
COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec for spec in (
        CommandSpec("help", "", "cmd.help"),
        CommandSpec("declare", "", "cmd.declare"),
        CommandSpec("status", "usage.status", "cmd.status"),
        CommandSpec("list", "", "cmd.list"),
        CommandSpec("ack", "", "cmd.ack"),
        CommandSpec("update", "usage.update", "cmd.update"),
        CommandSpec("assign", "usage.assign", "cmd.assign"),
        CommandSpec("severity", "usage.severity", "cmd.severity"),
        CommandSpec("resolve", "", "cmd.resolve"),
        CommandSpec("reopen", "usage.reopen", "cmd.reopen"),
        CommandSpec("roster", "usage.roster", "cmd.roster"),
        CommandSpec("playbook", "usage.playbook", "cmd.playbook"),
        CommandSpec("postmortem", "usage.postmortem", "cmd.postmortem"),
        CommandSpec("assess", "usage.assess", "cmd.assess"),
        CommandSpec("home", "usage.home", "cmd.home"),
    )
}

MAX_COMMAND_TEXT = 4000


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower-case first word; empty for an empty message
    arguments: str



def parse_command(text: str) -> ParsedCommand:
    """Split a message (mention already removed) into a command word and the rest."""
    cleaned = " ".join(text.replace("\u00a0", " ").split())[:MAX_COMMAND_TEXT]
    name, _, arguments = cleaned.partition(" ")
    return ParsedCommand(name=name.lower().lstrip("/"), arguments=arguments)
