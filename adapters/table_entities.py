"""How domain records map to Table Storage entities and keys (pure functions, no I/O)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from incident.lifecycle import Status
from incident.model import Incident, Person, TimelineEvent
from incident.public_face import PublicFace, PublicUpdate
from services.ports import DueItem, OutboxEntry

# Row keys are unique across partitions (the incident id leads them): Azurite looks rows up by RowKey
# first, so a key shared by every incident ("summary") would make each read scan them all.
OPEN_INDEX_PARTITION = "~open"  # "~" sorts after every incident id, so no clash
SEQUENCE_PARTITION = "~sequence"
DECLARED_INDEX_PREFIX = "~declared-"  # + "yyyy-mm": one partition of index rows per declaration month
DUE_PARTITION = "due"
SCHEMA_VERSION = 1

# Characters Table Storage forbids in keys, plus "%" so that the encoding can be undone.
_UNSAFE_KEY = re.compile(r"[%/\\#?\x00-\x1f\x7f-\x9f]")


def safe_key(text: str) -> str:
    """Percent-encode the characters Table Storage refuses in PartitionKey and RowKey."""
    encoded = _UNSAFE_KEY.sub(lambda m: f"%{ord(m.group()):02X}", text)
    if not encoded or len(encoded.encode()) > 1024:
        raise ValueError(f"a storage key must be 1 to 1024 bytes, not {len(encoded.encode())}")
    return encoded


def summary_row(incident_id: str) -> str:
    return f"{incident_id}~summary"


def event_row(incident_id: str, sequence: int) -> str:
    return f"{incident_id}~event-{sequence:06d}"


def conversation_row(owner: str, purpose: str) -> str:
    """Unique across owners too (see above); the purpose itself is kept in a property."""
    return safe_key(f"{owner}~{purpose}")


def outbox_row(incident_id: str, first_sequence: int) -> str:
    return f"{incident_id}~outbox-{first_sequence:06d}"


def outbox_row_range(incident_id: str) -> tuple[str, str]:
    """Every outbox row of an incident sorts in [low, high): "." follows "-"."""
    return f"{incident_id}~outbox-", f"{incident_id}~outbox."


def outbox_entity(incident_id: str, sequences: Sequence[int], done: Sequence[str] = ()) -> dict[str, Any]:
    return {"PartitionKey": incident_id, "RowKey": outbox_row(incident_id, min(sequences)),
            "Sequences": ",".join(str(s) for s in sequences), "Done": ",".join(done)}


def outbox_from(incident_id: str, entity: Mapping[str, Any]) -> OutboxEntry:
    sequences = tuple(int(s) for s in str(entity.get("Sequences", "")).split(",") if s.strip().isdigit())
    done = tuple(d for d in str(entity.get("Done", "")).split(",") if d)
    first = int(str(entity["RowKey"]).rpartition("-")[2])
    return OutboxEntry(incident_id, first, sequences or (first,), done)


def is_event_row(row_key: str) -> bool:
    return "~event-" in row_key


def due_row(item: DueItem) -> str:
    """Due time first, so a timer's one query is a range read up to 'now'."""
    row = f"{utc(item.due_at):%Y%m%dT%H%M%S.%fZ}~{item.kind}~{safe_key(item.incident_id)}"
    return f"{row}~{safe_key(item.subject)}" if item.subject else row


def due_upper_bound(now: datetime) -> str:
    return f"{utc(now):%Y%m%dT%H%M%S.%fZ}~~"


def declared_partition(at: datetime) -> str:
    """The declaration-month index partition of an instant (its UTC month)."""
    return f"{DECLARED_INDEX_PREFIX}{utc(at):%Y-%m}"


def declared_row(incident_id: str, declared_at: datetime) -> str:
    """Declaration time first, so a date range within a month is a RowKey range; the id keeps it unique."""
    return f"{declared_time_key(declared_at)}~{incident_id}"


def declared_time_key(at: datetime) -> str:
    return f"{utc(at):%Y%m%dT%H%M%S.%fZ}"


def declared_partitions(since: datetime, until: datetime) -> list[str]:
    """Every month partition that may hold declarations in [since, until), oldest first."""
    first, last = utc(since), utc(until)
    year, month = first.year, first.month
    partitions = []
    while (year, month) <= (last.year, last.month):
        partitions.append(f"{DECLARED_INDEX_PREFIX}{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return partitions


def declared_index_entity(incident: Incident) -> dict[str, Any]:
    return {"PartitionKey": declared_partition(incident.declared_at),
            "RowKey": declared_row(incident.id, incident.declared_at), "IncidentId": incident.id}


def utc(at: datetime) -> datetime:
    """A plain ``datetime`` in UTC (the SDK hands back its own subclass)."""
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond,
                    tzinfo=UTC)


def _optional_time(value: Any) -> datetime | None:
    return utc(value) if isinstance(value, datetime) else None


def person_data(person: Person) -> dict[str, str]:
    data = {"id": person.id, "name": person.name, "email": person.email}
    return data | ({"aad_id": person.aad_id} if person.aad_id else {}) | (
        {"language": person.language} if person.language else {})


def person_json(person: Person | None) -> str:
    return json.dumps(person_data(person)) if person else ""


def person_of(data: Mapping[str, Any]) -> Person:
    return Person(id=data["id"], name=data.get("name", ""), email=data.get("email", ""),
                  aad_id=data.get("aad_id", ""), language=data.get("language", ""))


def person_from(value: Any) -> Person | None:
    return person_of(json.loads(value)) if value else None


def _drop_empty(entity: dict[str, Any]) -> dict[str, Any]:
    """Absent beats empty: REPLACE then removes a field that went back to 'unset'."""
    return {k: v for k, v in entity.items() if v is not None and v != ""}


def public_json(face: PublicFace) -> str:
    """The status page's view of an incident ("" while unpublished): at most 20 updates of 1000 characters."""
    if not face.title and not face.updates:
        return ""
    return json.dumps({"title": face.title, "updates": [
        {"at": u.at.isoformat(), "text": u.text, "state": u.state} for u in face.updates]})


def public_from(value: Any) -> PublicFace:
    data = json.loads(value) if value else {}
    return PublicFace(title=data.get("title", ""), updates=tuple(
        PublicUpdate(datetime.fromisoformat(u["at"]), u["text"], u["state"]) for u in data.get("updates", ())))


def incident_entity(incident: Incident) -> dict[str, Any]:
    return _drop_empty({
        "PartitionKey": incident.id,
        "RowKey": summary_row(incident.id),
        "SchemaVersion": SCHEMA_VERSION,
        "Title": incident.title,
        "Summary": incident.summary,
        "Type": incident.type,
        "Severity": incident.severity,
        "Priority": incident.priority,
        "Status": incident.status.value,
        "DeclaredBy": person_json(incident.declared_by),
        "DeclaredAt": incident.declared_at,
        "Roles": json.dumps({k: person_data(v) for k, v in incident.roles.items()}),
        "Services": json.dumps(list(incident.services)),
        "Environments": json.dumps(list(incident.environments)),
        "Regions": json.dumps(list(incident.regions)),
        "Private": incident.private,
        "Invitees": json.dumps([person_data(p) for p in incident.invitees]) if incident.invitees else "",
        "Broadcast": incident.broadcast,
        "Language": incident.language,
        "Team": incident.team,
        "AcknowledgedAt": incident.acknowledged_at,
        "AcknowledgedBy": person_json(incident.acknowledged_by),
        "ResolvedAt": incident.resolved_at,
        "ClosedAt": incident.closed_at,
        "LastUpdateAt": incident.last_update_at,
        "LastUpdate": incident.last_update,
        "Resolution": incident.resolution,
        "PlanDone": json.dumps(list(incident.plan_done)) if incident.plan_done else "",
        "Playbooks": json.dumps([list(p) for p in incident.playbooks]) if incident.playbooks else "",
        "RemindersSnoozedUntil": incident.reminders_snoozed_until,
        "Bridge": incident.bridge,
        # The postmortem's and follow-ups' rows are read only when there are any.
        "Postmortem": True if incident.postmortem or incident.follow_ups else None,
        "Assessment": True if incident.assessment else None,  # likewise its row (adapters/table_assessment.py)
        "EventCount": incident.event_count + len(incident.pending),
        "Public": public_json(incident.public),
    })


def incident_from(entity: Mapping[str, Any], tag: str) -> Incident:
    roles = {k: person_of(v) for k, v in json.loads(entity.get("Roles", "{}")).items()}
    declared_by = person_from(entity["DeclaredBy"])
    assert declared_by is not None  # written on every declaration
    return Incident(
        id=entity["PartitionKey"],
        title=entity["Title"],
        summary=entity.get("Summary", ""),
        type=entity["Type"],
        severity=entity["Severity"],
        priority=entity.get("Priority", ""),
        status=Status(entity["Status"]),
        declared_by=declared_by,
        declared_at=utc(entity["DeclaredAt"]),
        roles=roles,
        services=tuple(json.loads(entity.get("Services", "[]"))),
        environments=tuple(json.loads(entity.get("Environments", "[]"))),
        regions=tuple(json.loads(entity.get("Regions", "[]"))),
        private=bool(entity.get("Private", False)),
        invitees=tuple(person_of(p) for p in json.loads(entity.get("Invitees") or "[]")),
        broadcast=entity.get("Broadcast", ""),
        language=entity.get("Language", "en"),
        team=entity.get("Team", ""),
        acknowledged_at=_optional_time(entity.get("AcknowledgedAt")),
        acknowledged_by=person_from(entity.get("AcknowledgedBy")),
        resolved_at=_optional_time(entity.get("ResolvedAt")),
        closed_at=_optional_time(entity.get("ClosedAt")),
        last_update_at=_optional_time(entity.get("LastUpdateAt")),
        last_update=entity.get("LastUpdate", ""),
        resolution=entity.get("Resolution", ""),
        plan_done=tuple(json.loads(entity.get("PlanDone") or "[]")),
        playbooks=tuple((str(s), int(v)) for s, v in json.loads(entity.get("Playbooks") or "[]")),
        reminders_snoozed_until=_optional_time(entity.get("RemindersSnoozedUntil")),
        bridge=entity.get("Bridge", ""),
        event_count=int(entity.get("EventCount", 0)),
        public=public_from(entity.get("Public")),
        storage_tag=tag,
    )


def event_entity(incident_id: str, event: TimelineEvent) -> dict[str, Any]:
    return {
        "PartitionKey": incident_id,
        "RowKey": event_row(incident_id, event.sequence),
        "At": event.at,
        "Actor": person_json(event.actor),
        "Kind": event.kind,
        "Text": event.summary,
        "Before": json.dumps(dict(event.before)),
        "After": json.dumps(dict(event.after)),
    }


def event_from(entity: Mapping[str, Any]) -> TimelineEvent:
    actor = person_from(entity["Actor"])
    assert actor is not None
    return TimelineEvent(
        sequence=int(entity["RowKey"].rpartition("~event-")[2]),
        at=utc(entity["At"]),
        actor=actor,
        kind=entity["Kind"],
        summary=entity.get("Text", ""),
        before=json.loads(entity.get("Before", "{}")),
        after=json.loads(entity.get("After", "{}")),
    )


def due_entity(item: DueItem) -> dict[str, Any]:
    return _drop_empty({
        "PartitionKey": DUE_PARTITION,
        "RowKey": due_row(item),
        "Kind": item.kind,
        "IncidentId": item.incident_id,
        "DueAt": item.due_at,
        "Payload": json.dumps(dict(item.payload)),
        "Attempts": item.attempts,
        "NotBefore": item.not_before,
        "Subject": item.subject,
    })


def due_from(entity: Mapping[str, Any], tag: str) -> DueItem:
    return DueItem(
        kind=entity["Kind"],
        incident_id=entity["IncidentId"],
        due_at=utc(entity["DueAt"]),
        payload=json.loads(entity.get("Payload", "{}")),
        attempts=int(entity.get("Attempts", 0)),
        not_before=_optional_time(entity.get("NotBefore")),
        tag=tag,
        subject=str(entity.get("Subject", "")),
    )
