"""Ports: the capabilities the service layer needs from the outside world, as typed Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from incident.model import Incident, Person, TimelineEvent
from incident.playbook import AuditEvent, PlaybookVersion
from incident.postmortem import FollowUp
from incident.roster import Override, RosterEntry


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

    async def with_open_follow_ups(self) -> list[Incident]:
        """Incidents (closed ones too) with postmortem follow-ups not yet done; from an index, no scan."""
        ...

    async def declared_between(self, since: datetime, until: datetime) -> list[Incident]:
        """Incidents declared in [since, until), oldest first; read from a declaration-month index,
        never by scanning the table."""
        ...

    async def outbox(self, incident_id: str) -> list[OutboxEntry]:
        """The incident's saves whose reactions (notifications, deadlines) have not all run yet."""
        ...

    async def outbox_progress(self, entry: OutboxEntry) -> None:
        """Record the reactions of ``entry`` that have run (``entry.done``), so a sweep skips them."""
        ...

    async def outbox_clear(self, entry: OutboxEntry) -> None:
        """Every reaction of the save has run (or is due work of its own): forget the entry."""
        ...


@dataclass(frozen=True)
class OutboxEntry:
    """Written in the same transaction as a save's events: the decision to tell people, kept until told."""

    incident_id: str
    first_sequence: int
    sequences: tuple[int, ...]
    done: tuple[str, ...] = ()  # names of the reactions that have run


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
    # What within the incident the item is about (a follow-up's number): items differing only in it
    # are distinct. Identity is (due_at, kind, incident_id, subject).
    subject: str = ""


class DueWorkRepository(Protocol):
    async def schedule(self, item: DueItem) -> None:
        """Record the item; scheduling the same (kind, incident, due_at) twice keeps one."""
        ...

    async def schedule_many(self, items: Sequence[DueItem]) -> None:
        """``schedule`` for each item, in as few requests as the store allows (one, usually)."""
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
class RosterPartition:
    """One service's whole roster (its rows and overrides), read in one single-partition query."""

    service: str
    entries: tuple[RosterEntry, ...] = ()
    overrides: tuple[Override, ...] = ()

    def current(self, now: datetime) -> RosterPartition:
        """The roster is the present and the future: an override that has ended is no longer part of it
        (who was actually called is in each incident's timeline)."""
        return replace(self, overrides=tuple(o for o in self.overrides if o.end > now))


class RosterRepository(Protocol):
    """Roster rows (incident.roster.RosterEntry) and overrides, keyed by service: one partition each."""

    async def put(self, entry: RosterEntry) -> None: ...

    async def get(self, service: str, role: str) -> RosterEntry | None: ...

    async def for_service(self, service: str) -> list[RosterEntry]: ...

    async def delete(self, service: str, role: str) -> None: ...

    async def partition(self, service: str) -> RosterPartition:
        """Every row and override of one service, in one query."""
        ...

    async def partitions(self, services: Sequence[str]) -> list[RosterPartition]:
        """``partition`` of each service, in the order given, read with as few queries as the store allows;
        identical calls made while one is being read share its answer (not for guarding a write)."""
        ...

    async def add_override(self, override: Override) -> None:
        """Store it unless it overlaps another of the same role and service (InvalidValue), checked and
        written under the partition's concurrency tag so two racing overrides cannot both land."""
        ...

    async def remove_override(self, service: str, role: str, start: datetime) -> None: ...

    async def replace_service(self, service: str, entries: Sequence[RosterEntry],
                              overrides: Sequence[Override], *, now: datetime) -> None:
        """Make the service's roster exactly this, in one transaction (an import). Overrides ended by
        ``now`` are dropped (and deleted if stored) so old ones do not pile up; the override guard of
        every role with an override before or after is moved on, so an override racing the import fails
        instead of landing an overlap. InvalidValue, nothing written, if it needs too many changes."""
        ...

    async def check_replace(self, service: str, entries: Sequence[RosterEntry],
                            overrides: Sequence[Override], *, now: datetime) -> None:
        """Raise what ``replace_service`` would refuse these rows with as the roster stands; write nothing."""
        ...

    async def restore_service(self, partition: RosterPartition) -> None:
        """Put back exactly a partition read earlier (an import undoing its services after a failure);
        not one transaction when it is too big for one, so it never refuses for size."""
        ...


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

    async def find(self, key: str) -> IdempotencyRecord | None:
        """The key's record, without claiming it (a page asking whether a link was used)."""
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

    async def severity_changed(self, incident: Incident, change: TimelineEvent) -> None:
        """Say in the broadcast thread that the severity moved (``change``, a ``severity_changed`` event)."""
        ...


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email; with a ``content_id`` it is shown inside the HTML (``<img src="cid:...">``)."""

    filename: str
    content_type: str  # e.g. image/png
    data: bytes = field(repr=False)
    content_id: str = ""


@dataclass(frozen=True)
class Email:
    """One message: a plain-text part always, an HTML part for clients that show it."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # extra headers (List-Unsubscribe); a mailer that cannot set one drops it


class Mailer(Protocol):
    """Sends email (SMTP, or Microsoft Graph's sendMail); a failure raises NotificationFailed."""

    async def send_template(self, to: Sequence[str], subject: str, template: str,
                            data: Mapping[str, Any], attachments: Sequence[Attachment] = (),
                            headers: Sequence[tuple[str, str]] = ()) -> Email:
        """Render ``templates/email/<template>`` (text and HTML, escaped for each) and send it, with any
        attachments (inline ones appear in the HTML) and extra headers."""
        ...


# The ports of the app's own operation live in services/operation_ports.py; named here too for older imports.
from services.operation_ports import AUDIT_SAMPLES as AUDIT_SAMPLES  # noqa: E402
from services.operation_ports import SERVICE_HEALTH as SERVICE_HEALTH  # noqa: E402
from services.operation_ports import AuditLog as AuditLog  # noqa: E402
from services.operation_ports import AuditRecord as AuditRecord  # noqa: E402
from services.operation_ports import StateStore as StateStore  # noqa: E402
from services.operation_ports import TeamsFlag as TeamsFlag  # noqa: E402
from services.operation_ports import TeamsHealth as TeamsHealth  # noqa: E402
from services.operation_ports import TeamsStatus as TeamsStatus  # noqa: E402


class IssueTracker(Protocol):
    """An external tracker where postmortem follow-ups become priority-1 bugs (Azure DevOps Boards, GitHub)."""

    async def file(self, incident: Incident, follow_up: FollowUp) -> str:
        """Create the work item or issue and return its web address; a failure raises TrackerError."""
        ...


class PlaybookRepository(Protocol):
    """Playbook versions and their audit trail, one partition per service (incident.playbook)."""

    async def versions(self, service: str) -> list[PlaybookVersion]:
        """Every version of the service's playbook with its reviews, oldest first, in one query."""
        ...

    async def current_versions(self, service: str) -> tuple[PlaybookVersion, ...]:
        """``versions`` for reading only: identical calls made while one is being read share its answer."""
        ...

    async def add_version(self, version: PlaybookVersion, event: AuditEvent) -> None:
        """Store a new version and its audit event together; ConcurrencyConflict if the number is taken."""
        ...

    async def save_reviews(self, version: PlaybookVersion, event: AuditEvent) -> None:
        """Store the version's reviews if nobody reviewed it since it was read (``version.tag``), with the
        audit event, in one transaction; ConcurrencyConflict otherwise. The text never changes."""
        ...

    async def audit(self, service: str) -> list[AuditEvent]:
        """Every state change of the service's playbook, oldest first."""
        ...


class ChannelPoster(Protocol):
    """Posts a card to a named channel of the organisation's team (the weekly leadership digest)."""

    async def post_card(self, channel: str, card: Mapping[str, Any]) -> None:
        """A new thread in ``channel``; failures raise NotificationFailed."""
        ...
