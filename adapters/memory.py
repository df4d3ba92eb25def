"""In-memory implementations of every storage port, passing the same contract tests as Table Storage."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from adapters.templates import TemplateMailer
from incident.errors import ConcurrencyConflict, NotFound, NotificationFailed
from incident.model import Incident, TimelineEvent
from services.ports import (
    AUDIT_SAMPLES,
    Alert,
    AuditRecord,
    DueItem,
    Email,
    IdempotencyClaim,
    IdempotencyRecord,
    OutboxEntry,
    TeamsFlag,
    TeamsStatus,
)

_tags = itertools.count(1)


def _new_tag() -> str:
    return f"mem-{next(_tags)}"


class MemoryIncidentRepository:
    def __init__(self) -> None:
        self._incidents: dict[str, Incident] = {}
        self._timelines: dict[str, list[TimelineEvent]] = {}
        self._sequences: dict[tuple[str, int], int] = {}
        self._outbox: dict[tuple[str, int], OutboxEntry] = {}
        self._lock = asyncio.Lock()
        self.transactions = 0  # one per stored change, as in Table Storage

    async def next_number(self, prefix: str, year: int) -> int:
        async with self._lock:
            number = self._sequences.get((prefix, year), 0) + 1
            self._sequences[(prefix, year)] = number
            return number

    async def add(self, incident: Incident) -> None:
        async with self._lock:
            if incident.id in self._incidents:
                raise ConcurrencyConflict(f"{incident.id} already exists")
            self._store(incident, [])

    async def get(self, incident_id: str) -> Incident:
        stored = self._incidents.get(incident_id)
        if stored is None:
            raise NotFound(f"no incident {incident_id}")
        return stored.copy()

    async def save(self, incident: Incident) -> None:
        if not incident.pending:
            return
        async with self._lock:
            current = self._incidents.get(incident.id)
            if current is None:
                raise NotFound(f"no incident {incident.id}")
            if current.storage_tag != incident.storage_tag:
                raise ConcurrencyConflict(f"{incident.id} changed since it was read")
            self._store(incident, self._timelines[incident.id])

    def _store(self, incident: Incident, timeline: list[TimelineEvent]) -> None:
        self.transactions += 1
        events = incident.mark_stored()
        if events:
            first = min(e.sequence for e in events)
            self._outbox[(incident.id, first)] = OutboxEntry(incident.id, first, tuple(e.sequence for e in events))
        incident.storage_tag = _new_tag()
        self._timelines[incident.id] = [*timeline, *events]
        self._incidents[incident.id] = incident.copy()

    async def timeline(self, incident_id: str) -> list[TimelineEvent]:
        if incident_id not in self._incidents:
            raise NotFound(f"no incident {incident_id}")
        return list(self._timelines[incident_id])

    async def list_open(self) -> list[Incident]:
        return [i.copy() for i in self._incidents.values() if i.status.is_open]

    async def with_open_follow_ups(self) -> list[Incident]:
        return [i.copy() for i in self._incidents.values() if any(not f.is_done for f in i.follow_ups)]

    async def declared_between(self, since: datetime, until: datetime) -> list[Incident]:
        found = [i.copy() for i in self._incidents.values() if since <= i.declared_at < until]
        return sorted(found, key=lambda i: (i.declared_at, i.id))

    async def outbox(self, incident_id: str) -> list[OutboxEntry]:
        return sorted((e for (owner, _), e in self._outbox.items() if owner == incident_id),
                      key=lambda e: e.first_sequence)

    async def outbox_progress(self, entry: OutboxEntry) -> None:
        self._outbox[(entry.incident_id, entry.first_sequence)] = entry

    async def outbox_clear(self, entry: OutboxEntry) -> None:
        self._outbox.pop((entry.incident_id, entry.first_sequence), None)


class MemoryDueWorkRepository:
    def __init__(self) -> None:
        self._items: dict[tuple[datetime, str, str, str], DueItem] = {}

    @staticmethod
    def _key(item: DueItem) -> tuple[datetime, str, str, str]:
        return (item.due_at, item.kind, item.incident_id, item.subject)

    async def schedule(self, item: DueItem) -> None:
        self._items.setdefault(self._key(item), replace(item, attempts=0, not_before=None, tag=_new_tag()))

    async def schedule_many(self, items: Sequence[DueItem]) -> None:
        for item in items:
            await self.schedule(item)

    async def due(self, now: datetime, limit: int = 100) -> list[DueItem]:
        ready = [i for k, i in sorted(self._items.items())
                 if i.due_at <= now and (i.not_before is None or i.not_before <= now)]
        return ready[:limit]

    async def claim(self, item: DueItem, now: datetime, lease: timedelta) -> DueItem | None:
        current = self._items.get(self._key(item))
        if current is None or current.tag != item.tag:
            return None
        claimed = replace(current, attempts=current.attempts + 1, not_before=now + lease,
                          tag=_new_tag())
        self._items[self._key(item)] = claimed
        return claimed

    async def complete(self, item: DueItem) -> None:
        current = self._items.get(self._key(item))
        if current is not None and current.tag == item.tag:
            del self._items[self._key(item)]

    async def retry_later(self, item: DueItem, not_before: datetime) -> None:
        current = self._items.get(self._key(item))
        if current is None or current.tag != item.tag:
            raise ConcurrencyConflict(f"{item.kind} for {item.incident_id} was claimed by another run")
        self._items[self._key(item)] = replace(current, not_before=not_before, tag=_new_tag())


class MemoryConversationReferenceRepository:
    def __init__(self) -> None:
        self._refs: dict[str, dict[str, dict[str, Any]]] = {}

    async def put(self, owner: str, purpose: str, reference: Mapping[str, Any]) -> None:
        self._refs.setdefault(owner, {})[purpose] = copy.deepcopy(dict(reference))

    async def get(self, owner: str, purpose: str) -> dict[str, Any] | None:
        found = self._refs.get(owner, {}).get(purpose)
        return copy.deepcopy(found) if found is not None else None

    async def list_for(self, owner: str) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._refs.get(owner, {}))


class MemoryIdempotencyStore:
    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}
        self._lock = asyncio.Lock()

    async def find(self, key: str) -> IdempotencyRecord | None:
        return self._records.get(key)

    async def begin(self, key: str, now: datetime, lease: timedelta) -> IdempotencyClaim:
        async with self._lock:
            existing = self._records.get(key)
            if existing is not None and (existing.done or now - existing.started_at < lease):
                return IdempotencyClaim(owned=False, record=existing)
            record = IdempotencyRecord(key=key, started_at=now)
            self._records[key] = record
            return IdempotencyClaim(owned=True, record=record)

    async def release(self, key: str) -> None:
        existing = self._records.get(key)
        if existing is not None and not existing.done:
            del self._records[key]

    async def complete(self, key: str, result: str) -> None:
        existing = self._records.get(key)
        if existing is None:
            raise NotFound(f"idempotency key {key!r} was never begun")
        self._records[key] = replace(existing, result=result)


class RecordingNotifier:
    """A notifier that remembers what it was asked to tell, for tests.
    ``failures`` makes the next that many calls fail as Teams would, to test retries."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []  # (what, incident id, event kinds)
        self.failures = 0

    def _record(self, call: tuple[str, str, tuple[str, ...]]) -> None:
        if self.failures:
            self.failures -= 1
            raise NotificationFailed(f"Teams is down (test): {call[0]} for {call[1]}")
        self.calls.append(call)

    def told(self, what: str) -> list[str]:
        """The incident ids told ``what``, in order."""
        return [incident_id for kind, incident_id, _ in self.calls if kind == what]

    async def incident_declared(self, incident: Incident) -> None:
        self._record(("declared", incident.id, ()))

    async def incident_changed(self, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        self._record(("changed", incident.id, tuple(e.kind for e in events)))

    async def incident_resolved(self, incident: Incident) -> None:
        self._record(("resolved", incident.id, ()))

    async def remind(self, incident: Incident) -> None:
        self._record(("remind", incident.id, ()))

    async def alert(self, incident: Incident, alert: Alert) -> None:
        self._record((f"alert:{alert.kind}", incident.id, tuple(p.id for p in alert.people)))

    async def severity_changed(self, incident: Incident, change: TimelineEvent) -> None:
        self._record(("severity", incident.id, (change.before["severity"], change.after["severity"])))


class RecordingMailer(TemplateMailer):
    """A mailer that keeps what it was asked to send, for fast tests."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email) -> None:
        self.sent.append(email)


class MemoryAuditLog:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)

    async def count(self, entry: AuditRecord) -> None:
        minute = entry.at.replace(second=0, microsecond=0)
        for n, kept in enumerate(self.records):
            if kept.at == minute and kept.kind == entry.kind and kept.samples:
                samples = kept.samples + ((entry.detail,) if len(kept.samples) < AUDIT_SAMPLES else ())
                self.records[n] = replace(kept, count=kept.count + 1, samples=samples)
                return
        self.records.append(AuditRecord(minute, entry.kind, entry.detail, samples=(entry.detail,)))

    async def on_day(self, day: datetime) -> list[AuditRecord]:
        return sorted((r for r in self.records if r.at.date() == day.date()), key=lambda r: r.at)


class MemoryTeamsHealth:
    """Same rules as the table version: a flag (a person's or service health's), or ``threshold`` failures
    within ``window`` since the last success."""

    def __init__(self, threshold: int = 5, window: timedelta = timedelta(minutes=10)) -> None:
        self.threshold, self.window = threshold, window
        self._flag, self._tag = TeamsFlag(), ""
        self._tags = itertools.count(1)
        self._failures: list[datetime] = []
        self._last_success: datetime | None = None

    async def status(self, now: datetime) -> TeamsStatus:
        if self._flag.down:
            return TeamsStatus(True, manual=True, reason=self._flag.reason, set_by=self._flag.by,
                               issue=self._flag.issue)
        since = max(now - self.window, self._last_success or now - self.window)
        recent = sum(1 for f in self._failures if f > since)
        if recent >= self.threshold:
            return TeamsStatus(True, reason=f"{recent} failed sends to Teams in {self.window}", recent_failures=recent)
        return TeamsStatus(False, recent_failures=recent)

    async def record_failure(self, now: datetime, reason: str) -> None:
        self._failures = [f for f in self._failures if f > now - self.window] + [now]

    async def record_success(self, now: datetime) -> None:
        self._last_success = now

    async def set_down(self, now: datetime, by: str, reason: str) -> None:
        self._store(TeamsFlag(True, by, f"{reason} (set by {by})"))

    async def set_up(self, now: datetime, by: str) -> None:
        self._store(TeamsFlag(False, by))
        self._failures, self._last_success = [], now

    async def flag(self) -> tuple[TeamsFlag, str]:
        return self._flag, self._tag

    async def replace_flag(self, now: datetime, flag: TeamsFlag, tag: str) -> None:
        if tag != self._tag:
            raise ConcurrencyConflict("Teams' health flag changed since it was read")
        self._store(flag)
        if not flag.down:
            self._failures, self._last_success = [], now

    def _store(self, flag: TeamsFlag) -> None:
        self._flag, self._tag = flag, str(next(self._tags))


class MemoryStateStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, name: str) -> str | None:
        return self.values.get(name)

    async def put(self, name: str, value: str) -> None:
        self.values[name] = value
