"""Ports: the capabilities the service layer needs from the outside world, as typed Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from incident.model import Incident, Person, TimelineEvent


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class IncidentRepository(Protocol):
    """Incidents with their timelines; each change is one transaction guarded by a concurrency tag."""

    async def next_number(self, prefix: str, year: int) -> int:
        """The next sequence number for ``prefix`` in ``year``; unique under concurrent callers."""
        ...

    async def add(self, incident: Incident) -> None:
        """Store a new incident and its pending events; the id must not exist yet."""
        ...

    async def get(self, incident_id: str) -> Incident:
        """The incident without its timeline; raises NotFound."""
        ...

    async def save(self, incident: Incident) -> None:
        """Store the pending events and the new state if nobody changed it since it was read;
        raises ConcurrencyConflict otherwise."""
        ...

    async def timeline(self, incident_id: str) -> list[TimelineEvent]:
        """Every stored event of the incident, oldest first."""
        ...

    async def list_open(self) -> list[Incident]:
        """Incidents not yet closed."""
        ...


@dataclass(frozen=True)
class DueItem:
    """A piece of work due at an instant: a reminder, a deadline. A hint, checked when it fires."""

    kind: str
    incident_id: str
    due_at: datetime
    payload: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 0
    not_before: datetime | None = None  # set by a claim (lease) or a retry (backoff)
    tag: str = ""  # opaque concurrency tag from the store


class DueWorkRepository(Protocol):
    async def schedule(self, item: DueItem) -> None:
        """Record the item; scheduling the same (kind, incident, due_at) twice keeps one."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> list[DueItem]:
        """Items due at or before ``now`` and not leased or backed off past ``now``, earliest first."""
        ...

    async def claim(self, item: DueItem, now: datetime, lease: timedelta) -> DueItem | None:
        """Lease the item to this caller; None when another caller changed it first."""
        ...

    async def complete(self, item: DueItem) -> None:
        """Remove a claimed item once its work is done."""
        ...

    async def retry_later(self, item: DueItem, not_before: datetime) -> None:
        """Keep a claimed item due, but not before ``not_before`` (backoff after a failure)."""
        ...


class ConversationReferenceRepository(Protocol):
    """Bot Framework conversation references, stored as JSON-able mappings for proactive messages."""

    async def put(self, owner: str, purpose: str, reference: Mapping[str, Any]) -> None: ...

    async def get(self, owner: str, purpose: str) -> dict[str, Any] | None: ...

    async def list_for(self, owner: str) -> dict[str, dict[str, Any]]:
        """Every reference of one owner (an incident, a team, a user), by purpose."""
        ...


@dataclass(frozen=True)
class RosterEntry:
    """Who holds a role for a service: a primary and ordered delegates."""

    service: str
    role: str
    primary: Person
    delegates: tuple[Person, ...] = ()

    @property
    def chain(self) -> tuple[Person, ...]:
        return (self.primary, *self.delegates)


class RosterRepository(Protocol):
    async def put(self, entry: RosterEntry) -> None: ...

    async def get(self, service: str, role: str) -> RosterEntry | None: ...

    async def for_service(self, service: str) -> list[RosterEntry]: ...

    async def delete(self, service: str, role: str) -> None: ...


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    started_at: datetime
    result: str = ""  # empty while the work is in progress

    @property
    def done(self) -> bool:
        return bool(self.result)


@dataclass(frozen=True)
class IdempotencyClaim:
    """``owned``: the caller must do the work and complete it; otherwise ``record`` says who did."""

    owned: bool
    record: IdempotencyRecord


class IdempotencyStore(Protocol):
    async def begin(self, key: str, now: datetime, lease: timedelta) -> IdempotencyClaim:
        """Claim ``key``. A claim left unfinished longer than ``lease`` (a crash) is taken over."""
        ...

    async def complete(self, key: str, result: str) -> None:
        """Record the result so a repeat of the same key answers with it."""
        ...

    async def release(self, key: str) -> None:
        """Forget an unfinished claim (the work failed), so a retry does the work again."""
        ...


@dataclass(frozen=True)
class Alert:
    """Something about an incident that needs people: ``kind`` names the message (escalated,
    roles_unfilled, escalation_exhausted, stale), ``people`` are the ones to @mention."""

    kind: str
    people: tuple[Person, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)


class Notifier(Protocol):
    """Tells people: opens the incident's space, announces it, keeps every card true.

    Failures raise NotificationFailed; the incident itself is already stored when these run.
    """

    async def incident_declared(self, incident: Incident) -> None:
        """Open the incident space, invite its people, post its card and plan, announce it."""
        ...

    async def incident_changed(self, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        """Update the incident's cards in place (space and broadcast)."""
        ...

    async def incident_resolved(self, incident: Incident) -> None:
        """Announce the resolution everywhere the incident was announced."""
        ...

    async def remind(self, incident: Incident) -> None:
        """Ask the commander for a status update, with buttons to post one, snooze or resolve."""
        ...

    async def alert(self, incident: Incident, alert: Alert) -> None:
        """Say in the incident's space what needs attention, @mentioning who must act."""
        ...


@dataclass(frozen=True)
class Email:
    """One message: a plain-text part always, an HTML part for clients that show it."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""


class Mailer(Protocol):
    """Sends email (SMTP, or Microsoft Graph's sendMail); a failure raises NotificationFailed."""

    async def send_template(self, to: Sequence[str], subject: str, template: str,
                            data: Mapping[str, Any]) -> Email:
        """Render ``templates/email/<template>`` (text and HTML, escaped for each) and send it."""
        ...
