"""Scheduled maintenance on the status page: a window of time during which some components are worked on,
announced with a public title and description. Its state follows the clock (scheduled, in progress,
completed); cancelling it before it starts takes it off the page, during it ends it now.

Nothing here is tied to an incident, and nothing but the public title, the public description, the
components and the two instants ever reaches a published file (who scheduled it is kept for the record)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from incident.errors import DevopsbotError, DomainError, InvalidValue, NotFound, NotPermitted
from incident.instants import parse_instant
from incident.people import Person

MAX_TITLE = 200
MAX_DESCRIPTION = 1000
MAX_COMPONENTS = 50
MAX_WINDOW = timedelta(days=14)  # longer than that is not a maintenance window but a change of service
MAX_AHEAD = timedelta(days=366)
MAX_ADD_TEXT = 1500  # what ``add`` reads at most: two instants, the components, a title and a description
ID_PREFIX = "MNT-"
SCHEDULED, IN_PROGRESS, COMPLETED = "scheduled", "in_progress", "completed"

# The English sentences (the command line's); Teams says them in the reader's language (bot/locales).
SENTENCES = {
    "end_before_start": "The maintenance must end after it starts: {end} is not after {start}.",
    "past": "The maintenance window is already over: it ended at {end} and it is {now} now (times in UTC).",
    "too_far": "The maintenance starts more than a year from now ({start}); schedule it nearer the time.",
    "too_long_window": "The maintenance lasts {hours} hours; a window lasts at most {limit} days.",
    "unknown_component": "Unknown component '{given}' (known: {known}).",
    "no_components": "Name at least one component, separated by commas (known: {known}).",
    "too_many_components": "At most {limit} components per window.",
    "no_title": "The maintenance needs a public title.",
    "too_long_title": "The title is {length} characters long; the limit is {limit}.",
    "too_long_description": "The description is {length} characters long; the limit is {limit}.",
    "too_long_text": "The command is {length} characters long; the limit is {limit}.",
    "bad_time": "'{given}' is not a time like 2026-12-05T22:00Z (UTC) or 2026-12-05T23:00+01:00.",
    "usage": "Give a start, an end, the components and a title: maintenance add 2026-12-05T22:00Z "
             "2026-12-05T23:00Z checkout,payments Database upgrade | Checkout may be slow for a few minutes.",
    "not_found": "There is no maintenance window {id}.",
    "already_over": "Maintenance {id} is already over; there is nothing to cancel.",
    "already_cancelled": "Maintenance {id} was already cancelled.",
    "refused": "Only incident admins or the communications lead on the roster for {components} may schedule "
               "or cancel maintenance.",
}


class MaintenanceError(DevopsbotError):
    """A refusal Teams says in the reader's language: its locale key (``maintenance.error.<key>``) and values."""

    key: str
    values: dict[str, str]

    def _named(self, key: str, values: dict[str, Any]) -> str:
        self.key, self.values = key, {k: str(v) for k, v in values.items()}
        return SENTENCES[key].format(**self.values)


class MaintenanceRefused(MaintenanceError, DomainError):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(self._named(key, values))


class MaintenanceNotFound(MaintenanceError, NotFound):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(self._named(key, values))


class MaintenanceNotPermitted(MaintenanceError, NotPermitted):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(self._named(key, values))


@dataclass(frozen=True)
class MaintenanceWindow:
    id: str
    title: str  # public
    description: str  # public
    components: tuple[str, ...]  # the organisation's service keys
    starts_at: datetime
    ends_at: datetime
    scheduled_by: Person  # kept for the record, never published
    scheduled_at: datetime
    cancelled_at: datetime | None = None

    def state(self, now: datetime) -> str:
        return SCHEDULED if now < self.starts_at else IN_PROGRESS if now < self.ends_at else COMPLETED

    @property
    def shown(self) -> bool:
        """Cancelled before it started: on no page. Cancelled during it: it ended then, and stays in history."""
        return self.cancelled_at is None or self.cancelled_at > self.starts_at


@dataclass(frozen=True)
class ScheduleMaintenance:
    """``enforce_roles=False`` is the operator at the CLI; every other surface leaves it True."""

    title: str
    description: str
    components: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class CancelMaintenance:
    window_id: str
    actor: Person
    enforce_roles: bool = True


def utc_text(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M}"


def instant(text: str) -> datetime:
    """An ISO 8601 instant; without a zone, UTC (incident/instants.py), refused in a sentence otherwise."""
    try:
        return parse_instant(text, "time")
    except InvalidValue:
        raise MaintenanceRefused("bad_time", given=text[:40]) from None


def components_of(names: Iterable[str], services: Sequence[str]) -> tuple[str, ...]:
    """The components named, each one of the organisation's services, each once."""
    chosen = tuple(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    known = ", ".join(services)
    if not chosen:
        raise MaintenanceRefused("no_components", known=known)
    if len(chosen) > MAX_COMPONENTS:
        raise MaintenanceRefused("too_many_components", limit=MAX_COMPONENTS)
    for name in chosen:
        if name not in services:
            raise MaintenanceRefused("unknown_component", given=name[:40], known=known)
    return chosen


def _text(value: str, key: str, limit: int) -> str:
    text = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()  # XML refuses control ones
    if len(text) > limit:
        raise MaintenanceRefused(key, length=len(text), limit=limit)
    return text


def new_window(cmd: ScheduleMaintenance, services: Sequence[str], now: datetime) -> MaintenanceWindow:
    """The window ``cmd`` asks for, or MaintenanceRefused saying what is wrong with it."""
    title = _text(cmd.title, "too_long_title", MAX_TITLE)
    if not title:
        raise MaintenanceRefused("no_title")
    description = _text(cmd.description, "too_long_description", MAX_DESCRIPTION)
    components = components_of(cmd.components, services)
    start, end = cmd.starts_at.astimezone(UTC), cmd.ends_at.astimezone(UTC)
    if end <= start:
        raise MaintenanceRefused("end_before_start", start=utc_text(start), end=utc_text(end))
    if end <= now:
        raise MaintenanceRefused("past", end=utc_text(end), now=utc_text(now))
    if start > now + MAX_AHEAD:
        raise MaintenanceRefused("too_far", start=utc_text(start))
    if end - start > MAX_WINDOW:
        raise MaintenanceRefused("too_long_window", hours=int((end - start).total_seconds() // 3600),
                                 limit=MAX_WINDOW.days)
    return MaintenanceWindow(id=ID_PREFIX + secrets.token_hex(3).upper(), title=title, description=description,
                             components=components, starts_at=start, ends_at=end, scheduled_by=cmd.actor,
                             scheduled_at=now)


def cancelled(window: MaintenanceWindow, now: datetime) -> MaintenanceWindow:
    """Before it starts: off the page. During it: it ends now. After it, or twice: refused."""
    if window.cancelled_at is not None:
        raise MaintenanceRefused("already_cancelled", id=window.id)
    state = window.state(now)
    if state == COMPLETED:
        raise MaintenanceRefused("already_over", id=window.id)
    return replace(window, cancelled_at=now, ends_at=now if state == IN_PROGRESS else window.ends_at)


def window_id(text: str) -> str:
    """``MNT-1A2B3C`` however it was typed; the id is short, so longer text is no id."""
    given = text.strip().upper()
    if not given.startswith(ID_PREFIX) or len(given) > 20 or not given[len(ID_PREFIX):].isalnum():
        raise MaintenanceNotFound("not_found", id=given[:20] or "''")
    return given


def parse_add(text: str, actor: Person) -> ScheduleMaintenance:
    """``<start> <end> <components> <title> [| <description>]``, read in one pass after a size check."""
    if len(text) > MAX_ADD_TEXT:
        raise MaintenanceRefused("too_long_text", length=len(text), limit=MAX_ADD_TEXT)
    words = text.split(maxsplit=3)
    if len(words) < 4:
        raise MaintenanceRefused("usage")
    start, end, components, rest = words
    title, _, description = rest.partition("|")
    return ScheduleMaintenance(title=title, description=description, components=tuple(components.split(",")),
                               starts_at=instant(start), ends_at=instant(end), actor=actor)
