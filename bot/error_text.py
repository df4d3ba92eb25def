"""The process's refusals as Teams sentences: a capital first, a full stop last, and for a name the organisation
does not define, the names it does, in the reader's language."""

from __future__ import annotations

from adapters.templates import markdown_escape
from bot.locale import Translator
from incident.errors import DevopsbotError, InvalidValue, NotFound, UnknownChoice

MAX_GIVEN = 40
UNKNOWN_KEYS = {"severity": "error.unknown.severity", "type": "error.unknown.type", "role": "error.unknown.role",
                "priority": "error.unknown.priority", "service": "error.unknown.service"}
# A reason that goes on from its field's name ("is required", "needs a primary"): "The title is required."
PREDICATES = ("is ", "are ", "must ", "needs ", "names ", "lasts ", "ends ", "cannot ", "has ", "overlaps ")


def sentence(text: str) -> str:
    """``text`` with a capital first and a full stop last (unless it already ends a sentence)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def error_sentence(error: DevopsbotError, t: Translator) -> str:
    """What went wrong, as one or two sentences with Teams' Markdown escaped."""
    if isinstance(error, UnknownChoice) and error.field in UNKNOWN_KEYS:
        return t(UNKNOWN_KEYS[error.field], given=markdown_escape(error.given.strip()[:MAX_GIVEN]),
                 known=markdown_escape(", ".join(error.known)))
    if isinstance(error, InvalidValue):
        field = error.field.replace("_", " ")
        text = f"the {field} {error.reason}" if error.reason.startswith(PREDICATES) else error.reason
        return markdown_escape(sentence(text))
    text = str(error)
    return markdown_escape(sentence(f"there is {text}" if isinstance(error, NotFound) and text[:3] == "no " else text))


def refusal(error: DevopsbotError) -> str:
    """A refusal (``NotPermitted``) as it follows "Sorry, ": lower-case as the domain writes it, ended."""
    text = str(error).strip()
    return markdown_escape(text if text.endswith((".", "!", "?")) else text + ".")
