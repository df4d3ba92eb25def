"""Everything the bot does in Teams, a person can do by hand: each Teams command (and each of its sub-commands)
has a command-line counterpart, checked against the CLI's real parser. A new Teams command fails this test
until it has one, or is listed in TEAMS_ONLY with the reason it cannot have one."""

from __future__ import annotations

import argparse

from bot.commands import COMMANDS
from devopsbot.cli.main import build_parser

# Teams command (and sub-command word) → the CLI command that does the same.
COUNTERPARTS: dict[str, tuple[str, ...]] = {
    "declare": ("incident", "declare"),
    "status": ("incident", "status"),
    "list": ("incident", "list"),
    "ack": ("incident", "ack"),
    "update": ("incident", "update"),
    "assign": ("incident", "assign"),
    "severity": ("incident", "severity"),
    "resolve": ("incident", "resolve"),
    "reopen": ("incident", "reopen"),
    "roster show": ("roster", "show"),
    "roster set": ("roster", "set"),
    "roster override": ("roster", "override"),
    "roster check": ("roster", "check"),
    "playbook submit": ("playbook", "submit"),
    "playbook show": ("playbook", "show"),
    "playbook approve": ("playbook", "approve"),
    "playbook reject": ("playbook", "reject"),
    "playbook list": ("playbook", "list"),
    "playbook coverage": ("playbook", "coverage"),
    "postmortem": ("postmortem", "show"),
    "assess": ("assess", "request"),
    "assess accept": ("assess", "accept"),
    "assess override": ("assess", "override"),
    "assess answer": ("assess", "answer"),  # the assessment card's form in Teams
    "bridge": ("incident", "bridge"),
    "task": ("incident", "task"),  # and task done → incident task-done
    "followup": ("postmortem", "followup"),  # on any resolved incident, with or without a postmortem
    "note": ("incident", "note"),
    "note!": ("incident", "note"),  # --pin: a key event
    "pin": ("incident", "pin"),  # an existing note made a key event
    "unpin": ("incident", "unpin"),
    "invite": ("incident", "invite"),
    "priority": ("incident", "priority"),
    "public": ("incident", "public"),  # the public status page
    "public-title": ("incident", "public-title"),
    "maintenance add": ("status", "maintenance", "add"),  # scheduled maintenance on the status page
    "maintenance list": ("status", "maintenance", "list"),
    "maintenance cancel": ("status", "maintenance", "cancel"),
}
TEAMS_ONLY = {
    "help": "the CLI's own --help lists its commands",
    "home": "chooses the Teams team incidents declared outside Teams open in; only Teams knows its teams",
}


def usage_forms(name: str) -> list[str]:
    """The forms a Teams command's usage line lists: "" for the command alone (with arguments or none) and
    each sub-command word ('roster show ... | set ...' gives show and set)."""
    spec = COMMANDS[name]
    if not spec.usage_key:
        return [""]
    from bot.locale import Translator

    usage = Translator("en")(spec.usage_key)
    parts, depth, current = [], 0, ""
    for char in usage:  # split at the '|' between alternatives, not at one inside [a | b]
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    forms = []
    for part in [*parts, current]:
        tokens = part.split()
        if tokens and tokens[0] == name:
            tokens = tokens[1:]
        word = tokens[0] if tokens and tokens[0].isalpha() and tokens[0].islower() else ""
        if word not in forms:
            forms.append(word)
    return forms


def cli_has(path: tuple[str, ...]) -> bool:
    parser: argparse.ArgumentParser = build_parser()
    for word in path:
        choices = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if not choices or word not in choices:
            return False
        parser = choices[word]
    return True


def test_every_teams_command_and_sub_command_has_a_cli_counterpart() -> None:
    wanted = [f"{name} {form}".strip() for name in COMMANDS if name not in TEAMS_ONLY
              for form in usage_forms(name)]
    assert len(wanted) > len(COMMANDS), "the sub-commands (roster show, playbook submit, ...) are read too"
    missing = [name for name in wanted if name not in COUNTERPARTS]
    assert missing == [], f"Teams commands without a CLI counterpart (add one, then list it in COUNTERPARTS): {missing}"
    absent = {name: path for name, path in COUNTERPARTS.items() if not cli_has(path)}
    assert absent == {}, f"CLI commands that do not exist: {absent}"


def test_the_check_itself_notices_a_missing_cli_command() -> None:
    assert cli_has(("assess", "accept"))
    assert not cli_has(("assess", "nonsense"))
    assert not cli_has(("nonsense",))
