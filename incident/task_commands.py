"""Commands about an incident's tasks (incident/tasks.py), as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incident.people import Person


@dataclass(frozen=True)
class AddTask:
    incident_id: str
    text: str
    owner: Person
    actor: Person
    due_at: datetime | None = None
    enforce_roles: bool = True


@dataclass(frozen=True)
class CompleteTask:
    incident_id: str
    number: int
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class ReassignTask:
    incident_id: str
    number: int
    owner: Person
    actor: Person
    enforce_roles: bool = True
