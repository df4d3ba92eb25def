"""The incident lifecycle as a transition table: which moves exist and what each one demands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DECLARED = "declared"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Open means not closed: resolved incidents still owe their postmortem and closure."""
        return self is not Status.CLOSED

    @property
    def is_active(self) -> bool:
        """Active means people are still working to fix it."""
        return self in ACTIVE


ACTIVE = frozenset({Status.DECLARED, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})
# The statuses the commander sets by hand while working the problem (resolving has rules of its own).
PROGRESS = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


class Guard(StrEnum):
    """A condition of the organisation's policy a move depends on."""

    ALWAYS = "always"
    POSTMORTEM_REQUIRED = "postmortem_required"
    POSTMORTEM_NOT_REQUIRED = "postmortem_not_required"


@dataclass(frozen=True)
class Move:
    """What one (from, to) move records and demands."""

    event: str  # the timeline event kind it records
    reason_required: bool = False
    guard: Guard = Guard.ALWAYS
    # A move with rules of its own (resolve: exit criteria and a resolution) is only made through
    # the incident method of this name, never as a bare status change.
    via: str = ""


_PROGRESS = Move("status_changed")
_RESOLVE = Move("resolved", via="resolve")

TRANSITIONS: dict[tuple[Status, Status], Move] = {
    # Working the problem: forward, skipping steps, or back when a hypothesis was wrong.
    (Status.DECLARED, Status.INVESTIGATING): _PROGRESS,
    (Status.DECLARED, Status.IDENTIFIED): _PROGRESS,
    (Status.DECLARED, Status.MONITORING): _PROGRESS,
    (Status.INVESTIGATING, Status.IDENTIFIED): _PROGRESS,
    (Status.INVESTIGATING, Status.MONITORING): _PROGRESS,
    (Status.IDENTIFIED, Status.MONITORING): _PROGRESS,
    (Status.IDENTIFIED, Status.INVESTIGATING): _PROGRESS,
    (Status.MONITORING, Status.INVESTIGATING): _PROGRESS,
    (Status.MONITORING, Status.IDENTIFIED): _PROGRESS,
    # Any active state may be resolved (a false alarm is resolved straight from declared).
    (Status.DECLARED, Status.RESOLVED): _RESOLVE,
    (Status.INVESTIGATING, Status.RESOLVED): _RESOLVE,
    (Status.IDENTIFIED, Status.RESOLVED): _RESOLVE,
    (Status.MONITORING, Status.RESOLVED): _RESOLVE,
    # After resolution: a postmortem where policy requires one, then closure; or reopen.
    (Status.RESOLVED, Status.INVESTIGATING): Move("reopened", reason_required=True, via="reopen"),
    (Status.RESOLVED, Status.POSTMORTEM): Move("postmortem_started", guard=Guard.POSTMORTEM_REQUIRED),
    (Status.RESOLVED, Status.CLOSED): Move("closed", guard=Guard.POSTMORTEM_NOT_REQUIRED),
    (Status.POSTMORTEM, Status.CLOSED): Move("closed"),
}

