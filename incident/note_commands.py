"""The note command: a note typed by hand, or a Teams message captured into the timeline (incident/notes.py)."""

from __future__ import annotations

from dataclasses import dataclass

from incident.notes import Source
from incident.people import Person


@dataclass(frozen=True)
class AddNote:
    incident_id: str
    text: str
    actor: Person
    pinned: bool = False  # a key event: it stands out in the incident document
    source: Source | None = None  # a captured message: who wrote it, when, and the link back
    enforce_roles: bool = True


@dataclass(frozen=True)
class PinNote:
    """``pin <n>`` / ``unpin <n>``: note number ``note`` (from 1, in the order added) made a key event, or no
    longer one."""

    incident_id: str
    note: int  # its number, from 1
    actor: Person
    pinned: bool = True
    enforce_roles: bool = True
