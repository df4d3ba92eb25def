"""Playbook commands (incident/playbook.py), as plain data, and the events their changes tell.

``enforce_roles=False`` is the operator at the CLI: they need not be an approver, but four eyes still apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from incident.people import Person


@dataclass(frozen=True)
class SubmitPlaybook:
    """A new version of a service's playbook, verified and stored whole or not at all."""

    service: str
    text: str
    actor: Person


@dataclass(frozen=True)
class ApprovePlaybook:
    service: str
    version: int
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class RejectPlaybook:
    service: str
    version: int
    actor: Person
    comment: str
    enforce_roles: bool = True


@dataclass(frozen=True)
class PlaybookSubmitted:
    """Stored with the version: its approvers are asked to review it. Ids only (str and int fields, so a
    retry can carry it as data); the reaction reads the version again."""

    service: str
    version: int
