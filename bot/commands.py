"""What the bot understands in a message: the command table (the help derives from it), the command word,
and the @mentions (the one reading of Teams' mention entities)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from incident.people import Person


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
        CommandSpec("note", "usage.note", "cmd.note"),
        CommandSpec("note!", "usage.note!", "cmd.note!"),  # a key event: stands out in the incident document
        CommandSpec("pin", "usage.pin", "cmd.pin"),  # an earlier note made a key event ('pin' alone lists them)
        CommandSpec("unpin", "usage.unpin", "cmd.unpin"),
        CommandSpec("bridge", "", "cmd.bridge"),
        CommandSpec("task", "usage.task", "cmd.task"),
        CommandSpec("followup", "usage.followup", "cmd.followup"),
        CommandSpec("public", "usage.public", "cmd.public"),
        CommandSpec("public-title", "usage.public_title", "cmd.public_title"),
        CommandSpec("invite", "usage.invite", "cmd.invite"),
        CommandSpec("priority", "usage.priority", "cmd.priority"),
        CommandSpec("maintenance", "usage.maintenance", "cmd.maintenance"),
    )
}

MAX_COMMAND_TEXT = 4000


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower-case first word; empty for an empty message
    arguments: str



MAX_MENTION_TEXT = 300  # an entity's "<at>name</at>"; a longer one is not a mention the bot removes


Mention = tuple[str, Person]  # the mention's text in the message ("<at>Bob</at>"), and who it names


def _mentions(entities: Sequence[object] | None) -> list[tuple[str, dict[str, Any]]]:
    """Each mention entity of an activity: its text as sent ("" if none) and its ``mentioned`` account. The
    one reading of Teams' mention entities (botbuilder keeps unknown fields in ``additional_properties``)."""
    found = []
    for entity in entities or []:
        data = getattr(entity, "additional_properties", None) or {}
        mentioned = data.get("mentioned") or getattr(entity, "mentioned", None)
        if getattr(entity, "type", "") == "mention" and isinstance(mentioned, dict):
            found.append((str(data.get("text") or getattr(entity, "text", "") or ""), mentioned))
    return found


def mentions_of(entities: Sequence[object] | None, bot_id: str) -> list[Mention]:
    """The people @mentioned in an activity (not the bot), with the text each mention has in the message."""
    return [(text, Person(id=str(mentioned["id"]), name=str(mentioned.get("name") or mentioned["id"])))
            for text, mentioned in _mentions(entities) if mentioned.get("id") != bot_id]


def without_recipient_mention(text: str, entities: Sequence[object] | None, recipient_id: str) -> str:
    """The message text without the bot's own @mention, like botbuilder's ``remove_recipient_mention``
    but literal: that one uses the mention's name (which the sender controls) as a regular expression."""
    for given, mentioned in _mentions(entities):
        if mentioned.get("id") != recipient_id:
            continue
        label = given or f"<at>{mentioned.get('name') or ''}</at>"
        name = mention_label_name(label[:MAX_MENTION_TEXT + 1])
        if name and len(label) <= MAX_MENTION_TEXT:
            text = text.replace(name, "").replace("<at></at>", "")
    return text


def mention_label_name(label: str) -> str:
    """The name inside "<at>name</at>" (or "<at id=...>name</at>"), or "" when it is not one."""
    opened = label.find(">") if label[:3].lower() == "<at" else -1
    closing = label.lower().rfind("</at>")
    return label[opened + 1:closing] if 0 <= opened < closing else ""


def without_mention_tags(text: str) -> str:
    """``text`` with each "<at>…</at>" on one line replaced by a space. Where the next closing tag and the
    next line break are is remembered, so each character is looked at a bounded number of times."""
    parts: list[str] = []
    at, closing, line_end = 0, -1, -1
    while (opening := text.find("<at>", at)) >= 0:
        if closing < opening and (closing := text.find("</at>", opening + 4)) < 0:
            break  # no tag closes after this one, nor after any later one
        if line_end < opening:
            line_end = text.find("\n", opening)
            line_end = len(text) if line_end < 0 else line_end
        if line_end < closing:  # this tag does not close on its line: go on from the next line
            parts.append(text[at:line_end])
            at = line_end
            continue
        parts.append(text[at:opening] + " ")
        at = closing + 5
    parts.append(text[at:])
    return "".join(parts)


MAX_SUGGESTED_WORD = 20  # a longer first word is no slip of a command: no suggestion, no work


def slips(word: str, known: str) -> int:
    """How many single-letter slips (one missing, one extra, one wrong, two neighbours swapped) turn ``word``
    into ``known``: the optimal string alignment distance, one row of a small table at a time."""
    before: list[int] = []
    previous = list(range(len(known) + 1))
    for i, letter in enumerate(word, 1):
        current = [i] + [0] * len(known)
        for j, wanted in enumerate(known, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != wanted))
            if i > 1 and j > 1 and letter == known[j - 2] and word[i - 2] == wanted:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def nearest_command(word: str) -> str:
    """The one command ``word`` is a slip of (one slip for a short word, up to two for a longer one), or ""."""
    if not word or len(word) > MAX_SUGGESTED_WORD:
        return ""
    allowed = 1 if len(word) <= 4 else 2
    distances = sorted((slips(word, name), name) for name in COMMANDS)
    near = [name for distance, name in distances if 0 < distance <= allowed and distance == distances[0][0]]
    return near[0] if len(near) == 1 else ""


def parse_command(text: str) -> ParsedCommand:
    """Split a message (mention already removed) into a command word and the rest."""
    cleaned = " ".join(text.replace("\u00a0", " ").split())[:MAX_COMMAND_TEXT]
    name, _, arguments = cleaned.partition(" ")
    return ParsedCommand(name=name.lower().lstrip("/"), arguments=arguments)
