"""People invited after the declaration, and the priority set by hand: what ``invite`` and ``priority`` change.

Invitees become the incident's people (incident/access.py reads ``invitees``): on a private incident only its
managers and incident admins bring anyone in (services/permissions.py). The priority is one of the organisation's
priority bands (incident/policy.py), set by the commander or the deputy; the ``priority_changed`` event is the one
the risk assessment's decision records, so the same reactions follow it (the effort's timers and the cards).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from incident.access import same_person
from incident.assessment import priority_name
from incident.errors import IllegalTransition, InvalidValue
from incident.lifecycle import Status
from incident.model import Incident
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.timeline import MAX_TEXT, TimelineEvent, clean_text, require_aware

INVITED = "invited"
PRIORITY_CHANGED = "priority_changed"
MAX_INVITED = 25  # people in one invitation; more is a mistake, not a team


@dataclass(frozen=True)
class InvitePeople:
    """Bring people into an incident after its declaration: they become its people and are told in its space."""

    incident_id: str
    people: tuple[Person, ...]
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class ChangePriority:
    """Set the priority by hand (P1..P4, the organisation's bands), with an optional reason."""

    incident_id: str
    priority: str
    actor: Person
    reason: str = ""
    enforce_roles: bool = True


def invite_people(incident: Incident, *, people: Iterable[Person], actor: Person, at: datetime) -> TimelineEvent | None:
    """Add the people not in the incident's invitees yet; None when every one of them already was."""
    require_aware(at)
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "invited to")
    asked = list(people)
    if not asked:
        raise InvalidValue("people", "name at least one person to invite")
    if len(asked) > MAX_INVITED:
        raise InvalidValue("people", f"{len(asked)} people at once; invite at most {MAX_INVITED} at a time")
    new: list[Person] = []
    for person in asked:
        if not any(same_person(person, p) for p in (*incident.invitees, *new)):
            new.append(person)
    if not new:
        return None
    incident.invitees = (*incident.invitees, *new)
    names = ", ".join(str(p) for p in new)
    return incident.record(actor, at, INVITED, f"invited {names}",
                           after={"people": names, "ids": " ".join(p.id for p in new)})


def invited_by(incident: Incident, event: TimelineEvent) -> tuple[Person, ...]:
    """The people an ``invited`` event brought in, as the incident now holds them (with their email)."""
    ids = set(event.after.get("ids", "").split())
    return tuple(p for p in incident.invitees if p.id in ids)


def change_priority(incident: Incident, *, priority: str, actor: Person, at: datetime, policy: OrganisationPolicy,
                    reason: str = "") -> TimelineEvent | None:
    """The priority named (an unknown one is refused with the known ones listed); None when it is already that."""
    require_aware(at)
    new = priority_name(priority, policy)
    if not incident.status.is_active:
        raise IllegalTransition(incident.id, incident.status.value, f"priority {new}")
    if new == incident.priority:
        return None
    clean = clean_text("reason", reason, limit=MAX_TEXT, required=False)
    before = {"priority": incident.priority} if incident.priority else {}
    incident.priority = new
    return incident.record(actor, at, PRIORITY_CHANGED, f"{before.get('priority', 'no priority')} → {new}"
                           + (f": {clean}" if clean else ""), before=before, after={"priority": new})
