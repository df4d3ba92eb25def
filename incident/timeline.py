"""The incident's timeline entry and the text rules every part of the incident applies to what people type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from incident.errors import InvalidValue
from incident.people import Person

MAX_TITLE = 200
MAX_TEXT = 4000


@dataclass(frozen=True)
class TimelineEvent:
    """One recorded change: who, when, what, and the values before and after."""

    sequence: int
    at: datetime
    actor: Person
    kind: str
    summary: str
    before: Mapping[str, str] = field(default_factory=dict)
    after: Mapping[str, str] = field(default_factory=dict)


def require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue("at", "times must carry a time zone")
    return at


def clean_text(field_name: str, value: str, *, limit: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidValue(field_name, "is required")
    if len(text) > limit:
        raise InvalidValue(field_name, f"is {len(text)} characters long; the limit is {limit}")
    return text


def web_link(field_name: str, value: str, *, required: bool) -> str:
    """A link people will click (cards, the document, the tracker): http(s) to a host, nothing else."""
    text = clean_text(field_name, value, limit=2000, required=required)
    if not text:
        return text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() or ord(c) < 32
                                                                                for c in text):
        raise InvalidValue(field_name, f"'{text[:80]}' is not an http(s) link")
    return text


def choices(field_name: str, values: Iterable[str], known: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    unknown = [v for v in chosen if known and v not in known]
    if unknown:
        raise InvalidValue(field_name, f"unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


class Recorder(Protocol):
    """What a part of the incident (its postmortem, its risk assessment) needs to record a change: the
    aggregate's one timeline. The parts change the incident through this, never through private state."""

    id: str

    def record(self, actor: Person, at: datetime, kind: str, summary: str, *,
               before: Mapping[str, str] | None = None, after: Mapping[str, str] | None = None
               ) -> TimelineEvent: ...
