"""Commands: what a person (or a timer) asks the incident process to do, as plain data.

A command with an ``actor`` is checked against who may do what (incident/access.py) for that actor.
``enforce_roles=False`` is the operator at the CLI without ``--as``, who holds the storage keys and acts
with full authority; every other surface leaves it True. A timer's command (no actor) is devopsbot's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incident.lifecycle import Status
from incident.model import Person


@dataclass(frozen=True)
class DeclareIncident:
    title: str
    incident_type: str
    severity: str
    actor: Person
    summary: str = ""
    roles: dict[str, Person] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    private: bool = False
    priority: str = ""
    invitees: tuple[Person, ...] = ()
    broadcast: str = ""
    language: str = "en"
    team: str = ""
    # The same key twice (a retried delivery, a double click) declares one incident.
    idempotency_key: str = ""


@dataclass(frozen=True)
class PostUpdate:
    incident_id: str
    text: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class Acknowledge:
    incident_id: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class ChangeStatus:
    incident_id: str
    target: Status
    actor: Person
    reason: str = ""
    enforce_roles: bool = True


@dataclass(frozen=True)
class Resolve:
    incident_id: str
    resolution: str
    actor: Person
    criteria_met: tuple[str, ...] = ()
    override_reason: str = ""
    enforce_roles: bool = True
    # Open tasks: (number, "carry" or "drop", reason to drop); a task not listed is carried over (incident/tasks.py).
    tasks: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class CompletePlanStep:
    incident_id: str
    index: int
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class Reopen:
    incident_id: str
    reason: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class AssignRole:
    incident_id: str
    role: str
    person: Person
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class ChangeSeverity:
    incident_id: str
    severity: str
    actor: Person
    reason: str = ""
    enforce_roles: bool = True


@dataclass(frozen=True)
class SnoozeReminders:
    incident_id: str
    minutes: int
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class Escalate:
    """A timer's command: nobody acted in time, so the role moves to the next person in its chain."""

    incident_id: str
    role: str
    to: Person
    reason: str


@dataclass(frozen=True)
class RequestAssessment:
    """Ask people for an independent risk assessment (incident/assessment.py); managers only."""

    incident_id: str
    assessors: tuple[Person, ...]
    actor: Person
    minutes: int | None = None  # None: the organisation's deadline
    enforce_roles: bool = True


@dataclass(frozen=True)
class AnswerAssessment:
    """One assessor's blind answer; the domain checks that they were asked."""

    incident_id: str
    round: int
    likelihood: str
    impact: str
    ratings: dict[str, float]
    actor: Person
    comment: str = ""


@dataclass(frozen=True)
class RevealAssessment:
    """A timer's command: the deadline passed, so what is in is revealed."""

    incident_id: str
    round: int


@dataclass(frozen=True)
class DecideAssessment:
    """The commander accepts the proposed severity and priority, or overrides them with a reason."""

    incident_id: str
    round: int
    accept: bool
    actor: Person
    severity: str = ""
    priority: str = ""
    reason: str = ""
    enforce_roles: bool = True


@dataclass(frozen=True)
class PostPublicUpdate:
    """An update for the public status page (incident/publishing.py), apart from internal updates."""

    incident_id: str
    text: str
    actor: Person
    enforce_roles: bool = True


@dataclass(frozen=True)
class SetPublicTitle:
    incident_id: str
    title: str
    actor: Person
    enforce_roles: bool = True


Command = (DeclareIncident | PostUpdate | Acknowledge | ChangeStatus | Resolve | Reopen
           | AssignRole | ChangeSeverity | CompletePlanStep | SnoozeReminders | Escalate
           | RequestAssessment | AnswerAssessment | RevealAssessment | DecideAssessment
           | PostPublicUpdate | SetPublicTitle)
