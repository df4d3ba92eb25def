"""What an alert may change in an incident: a timeline line when a signal is attached, and a hint when it
resolves. A resolved alert never resolves the incident: people do, against the exit criteria."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from incident.errors import IllegalTransition
from incident.lifecycle import Status
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from incident.signals import ALERTS_ACTOR, clip

ATTACHED = "signal_attached"
RESOLVED_HINT = "signal_resolved"


@dataclass(frozen=True)
class AttachSignal:
    """A new alert of the incident's group: one timeline line (the cards are redrawn, nothing is posted)."""

    incident_id: str
    source: str
    summary: str
    signal_key: str


@dataclass(frozen=True)
class NoteSignalResolved:
    """The alert behind the incident says it is resolved: tick ``criterion`` as a hint and tell the commander."""

    incident_id: str
    source: str
    summary: str
    signal_key: str
    criterion: str = ""


def attach_signal(incident: Incident, cmd: AttachSignal, *, at: datetime) -> TimelineEvent:
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "attach an alert")
    return incident.record(ALERTS_ACTOR, at, ATTACHED, f"Alert ({cmd.source}): {clip(cmd.summary)}",
                           after={"source": cmd.source, "signal": cmd.signal_key[:200]})


def note_resolved(incident: Incident, cmd: NoteSignalResolved, *, at: datetime,
                  policy: OrganisationPolicy) -> TimelineEvent:
    """The criterion is ticked only if the incident's type has it; the status never changes here."""
    known = {c.key for c in policy.incident_type(incident.type).exit_criteria}
    criterion = cmd.criterion if cmd.criterion in known else ""
    after = {"source": cmd.source, "signal": cmd.signal_key[:200], **({"criterion": criterion} if criterion else {})}
    return incident.record(ALERTS_ACTOR, at, RESOLVED_HINT,
                           f"Alert resolved ({cmd.source}): {clip(cmd.summary)}", after=after)


def hinted_criteria(events: Iterable[TimelineEvent]) -> tuple[str, ...]:
    """The exit criteria resolved alerts ticked, in the order they were ticked (each once)."""
    seen: dict[str, None] = {}
    for event in events:
        if event.kind == RESOLVED_HINT and event.after.get("criterion"):
            seen.setdefault(event.after["criterion"])
    return tuple(seen)
