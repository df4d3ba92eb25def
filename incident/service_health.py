"""Microsoft 365 service health, as devopsbot reads it: which announced issues mean Teams is down.

A Teams incident (not an advisory) whose status is a degradation or an interruption marks Teams down; the
issue keeps it down until Microsoft resolves it (``isResolved``) or its status says the service is back.
Graph names the statuses in camelCase in its reference and in PascalCase in its answers: compared folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TEAMS = "Microsoft Teams"  # the service's name in Graph's service health (healthOverviews' ``service``)

# Statuses that open a disruption: users cannot use Teams, or not fully.
DISRUPTING = frozenset({"servicedegradation", "serviceinterruption"})
# Statuses that say the issue is over (or never was): the service is back.
OVER = frozenset({"serviceoperational", "servicerestored", "postincidentreviewpublished", "falsepositive",
                  "investigationsuspended", "resolved", "resolvedexternal", "mitigated", "mitigatedexternal"})


@dataclass(frozen=True)
class ServiceIssue:
    """One announced issue (Graph's serviceHealthIssue), with what devopsbot needs of it."""

    id: str
    title: str
    service: str
    status: str
    classification: str = "incident"
    resolved: bool = False
    impact: str = ""

    @property
    def over(self) -> bool:
        return self.resolved or self.status.lower() in OVER

    @property
    def disrupting(self) -> bool:
        """The issue marks Teams down now: a Teams incident, not over, degraded or interrupted."""
        return (self.service == TEAMS and self.classification.lower() == "incident" and not self.over
                and self.status.lower() in DISRUPTING)


def still_down(issues: Sequence[ServiceIssue], flagged_for: str) -> ServiceIssue | None:
    """The issue that keeps Teams down: the one it was flagged for while that is not over (its status may
    move to restoringService or extendedRecovery first), else the first disrupting one."""
    for issue in issues:
        if issue.id == flagged_for and issue.service == TEAMS and not issue.over:
            return issue
    return next((issue for issue in issues if issue.disrupting), None)
