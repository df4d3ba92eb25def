"""Roster commands (incident/roster.py), as plain data.

``enforce_roles=False`` is the operator at the CLI, who holds the storage keys; every other surface
leaves it True, and only incident admins may change the roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incident.people import Person
from incident.roster import Rotation


@dataclass(frozen=True)
class SetRole:
    """A role's row: ``people`` are the primary then the delegates (with a rotation, all delegates)."""

    service: str
    role: str
    people: tuple[Person, ...]
    actor: Person
    rotation: Rotation | None = None
    enforce_roles: bool = True


@dataclass(frozen=True)
class AddOverride:
    """Someone stands in for the role's holder from ``start`` to ``end``."""

    service: str
    role: str
    person: Person
    start: datetime
    end: datetime
    actor: Person
    reason: str = ""
    enforce_roles: bool = True


@dataclass(frozen=True)
class ImportRoster:
    """Replace the roster of each service named in a CSV file, all or nothing (services/roster_csv.py)."""

    raw: bytes
    actor: Person
    at: datetime | None = None  # None: now
    enforce_roles: bool = True
