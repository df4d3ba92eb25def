"""Commands about the postmortem, its follow-ups and closing the incident, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from incident.people import Person


@dataclass(frozen=True)
class EditPostmortem:
    incident_id: str
    actor: Person
    sections: dict[str, str] = field(default_factory=dict)  # section key → its new text
    factors: tuple[str, ...] | None = None  # None: leave the contributing factors as they are
    enforce_roles: bool = True  # Teams: the owner or the incident's managers; the CLI acts with full authority
    # Field → fingerprint it must still have when stored (a card save, checked in the same transaction).
    expected: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AssignPostmortemOwner:
    incident_id: str
    owner: Person
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class CompletePostmortem:
    incident_id: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class ReopenPostmortem:
    incident_id: str
    reason: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class AddFollowUp:
    incident_id: str
    title: str
    owner: Person
    actor: Person
    due_at: datetime | None = None  # None: the severity's follow_up_due_days from now
    link: str = ""
    enforce_roles: bool = True


@dataclass(frozen=True)
class CompleteFollowUp:
    incident_id: str
    number: int
    actor: Person
    enforce_roles: bool = True  # the follow-up's owner, the postmortem's owner or the incident's managers


@dataclass(frozen=True)
class RecordFollowUpFiled:
    """The external tracker accepted a follow-up (devopsbot's own command, after filing it)."""

    incident_id: str
    number: int
    url: str


@dataclass(frozen=True)
class CloseIncident:
    incident_id: str
    actor: Person
    override_reason: str = ""  # closing without a completed postmortem: incident admins only
    enforce_roles: bool = True
