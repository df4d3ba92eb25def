"""The blameless postmortem of a resolved incident and its priority-1 follow-ups, as plain data.

The incident aggregate owns them (``Incident.postmortem``, ``Incident.follow_ups``) and records every
change to them in its timeline; this module says what they hold and when they are complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incident.people import Person

# Asked on the card and printed in the document: about conditions and systems, never about blame.
BLAMELESS_PROMPTS: tuple[str, ...] = (
    "What made the failure possible? Describe conditions and systems, not people.",
    "Which signals were missing, late or misleading?",
    "What made the right action hard to see or hard to take at the time?",
    "Which assumptions turned out to be wrong, and why were they reasonable then?",
)

# The written sections, in the order the card, the CLI and the document show them.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "went_well": "What went well",
    "went_wrong": "What went wrong",
    "got_lucky": "Where we got lucky",
}
# Sections a postmortem cannot be completed without (luck and praise may honestly be empty).
REQUIRED_SECTIONS = ("summary", "impact", "went_wrong")
MAX_FACTORS = 20
MAX_FOLLOW_UPS = 50  # one change is one transaction of at most 100 rows


class TrackerState:
    """Where a follow-up stands with the external tracker."""

    NONE = ""  # no tracker configured: recording it here is filing it
    PENDING = "pending"  # to be filed by devopsbot (retried until it succeeds)
    FILED = "filed"


@dataclass(frozen=True)
class FollowUp:
    """A priority-1 bug from the postmortem: an owner, a due date, and where it is tracked."""

    number: int
    title: str
    owner: Person
    due_at: datetime
    created_at: datetime
    link: str = ""  # a link a person gave (a runbook change, an existing ticket)
    tracker_url: str = ""  # the work item or issue devopsbot filed
    tracker_state: str = TrackerState.NONE
    done_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_filed(self) -> bool:
        return self.tracker_state != TrackerState.PENDING

    def is_overdue(self, now: datetime) -> bool:
        return not self.is_done and now > self.due_at


@dataclass(frozen=True)
class Postmortem:
    """The postmortem's owner, deadline and content; ``completed_at`` once the owner signs it off."""

    owner: Person
    opened_at: datetime
    due_at: datetime
    summary: str = ""
    impact: str = ""
    went_well: str = ""
    went_wrong: str = ""
    got_lucky: str = ""
    contributing_factors: tuple[str, ...] = ()
    completed_at: datetime | None = None
    completed_by: Person | None = None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    def section(self, key: str) -> str:
        return str(getattr(self, key))

    def missing(self) -> tuple[str, ...]:
        """What completing still needs, in words a person can act on."""
        gaps = [SECTIONS[key].lower() for key in REQUIRED_SECTIONS if not self.section(key)]
        if not self.contributing_factors:
            gaps.append("at least one contributing factor")
        return tuple(gaps)


def closing_gaps(postmortem: Postmortem | None, follow_ups: tuple[FollowUp, ...]) -> tuple[str, ...]:
    """Why an incident whose policy requires a postmortem may not be closed yet (empty: it may)."""
    if postmortem is None:
        return ("the postmortem has not been opened",)
    gaps: list[str] = []
    if not postmortem.is_complete:
        gaps.append("the postmortem is not completed")
    unfiled = [f"#{f.number}" for f in follow_ups if not f.is_filed]
    if unfiled:
        gaps.append(f"follow-ups {', '.join(unfiled)} are not filed in the tracker yet")
    return tuple(gaps)
