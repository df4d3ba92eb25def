"""Incident metrics: counts, response times, completion rates and the weekly trend (pure computation).

Definitions (also in the README), all measured from the declaration instant:

- **time to acknowledge**: ``acknowledged_at - declared_at``, over acknowledged incidents.
- **time to mitigate**: until the first timeline event that moved the incident to ``monitoring``
  (a ``status_changed`` event whose ``after["status"]`` is ``monitoring``) or resolved it (a
  ``resolved`` event), whichever came first — the moment customers stopped being hurt, or at least
  the team believed so. A later reopen does not move it. Counted over incidents whose timeline was
  given and holds such an event.
- **time to resolve**: ``resolved_at - declared_at``, over incidents resolved now (resolved, in
  postmortem or closed). A reopened incident counts again once it is resolved again, to its last
  resolution.
- **postmortem completion**: of the incidents that owe a postmortem (one was opened: resolving opens
  it where the policy requires one), how many have it completed. An incident resolved before postmortems
  were recorded owes one when the policy requires it, and counts as completed once closed. An incident
  closed by an admin override without a completed postmortem is not completed.
- **follow-up completion**: of the follow-ups of the incidents in the period, how many are done;
  overdue ones are not done and past their due date at ``now``.
- **weekly trend**: per ISO week (Monday to Sunday, UTC) from the week of ``since`` to the week of
  the last instant before ``until``, the incidents declared that week and the median time to resolve
  of those among them that are resolved.

Nothing here reads a clock or storage: the caller passes the records and ``now``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from incident.lifecycle import Status
from incident.model import Incident, Person, TimelineEvent
from incident.postmortem import FollowUp

MITIGATED_STATUSES = frozenset({Status.MONITORING.value, Status.RESOLVED.value})
RESTRICTED_FOLLOW_UP = "Security incident follow-up (details restricted)"


@dataclass(frozen=True)
class Durations:
    """How long something took, over ``count`` incidents; mean and median are None without any."""

    count: int
    mean: timedelta | None
    median: timedelta | None

    @classmethod
    def of(cls, spans: Iterable[timedelta]) -> Durations:
        seconds = sorted(s.total_seconds() for s in spans)
        if not seconds:
            return cls(0, None, None)
        return cls(len(seconds), timedelta(seconds=statistics.fmean(seconds)),
                   timedelta(seconds=statistics.median(seconds)))


@dataclass(frozen=True)
class Rate:
    """``done`` of ``total``; the ratio is None when there is nothing to complete."""

    done: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.total if self.total else None


@dataclass(frozen=True)
class FollowUpFacts:
    """A follow-up with its incident, flat, for lists of past-due follow-ups (report, dashboard, digest)."""

    incident_id: str
    number: int
    title: str
    owner: Person
    due_at: datetime
    completed_at: datetime | None = None
    link: str = ""  # the tracker's work item when filed, else the link a person gave

    @classmethod
    def of(cls, incident_id: str, follow_up: FollowUp, *, restricted: bool = False) -> FollowUpFacts:
        """``restricted``: a private (security) incident's; these lists reach the dashboard and leadership,
        who are not its people, so its title and link stay out (as in the leadership reminder)."""
        if restricted:
            return cls(incident_id, follow_up.number, RESTRICTED_FOLLOW_UP, follow_up.owner, follow_up.due_at,
                       follow_up.done_at)
        return cls(incident_id, follow_up.number, follow_up.title, follow_up.owner, follow_up.due_at,
                   follow_up.done_at, follow_up.tracker_url or follow_up.link)


@dataclass(frozen=True)
class Week:
    """One ISO week of the trend: incidents declared in it, and how long those resolved took."""

    year: int
    number: int
    starts: date
    declared: int
    resolved: int
    median_time_to_resolve: timedelta | None

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    now: datetime
    total: int
    by_severity: dict[str, int]
    by_type: dict[str, int]
    by_service: dict[str, int]
    by_status: dict[str, int]
    acknowledge: Durations
    mitigate: Durations
    resolve: Durations
    postmortems: Rate
    follow_ups: Rate
    overdue_follow_ups: tuple[FollowUpFacts, ...] = ()
    weeks: tuple[Week, ...] = field(default_factory=tuple)


def time_to_acknowledge(incident: Incident) -> timedelta | None:
    return incident.acknowledged_at - incident.declared_at if incident.acknowledged_at else None


def time_to_mitigate(incident: Incident, timeline: Sequence[TimelineEvent]) -> timedelta | None:
    for event in sorted(timeline, key=lambda e: e.sequence):
        if event.kind == "resolved" or (event.kind == "status_changed"
                                        and event.after.get("status") in MITIGATED_STATUSES):
            return event.at - incident.declared_at
    return None


def time_to_resolve(incident: Incident) -> timedelta | None:
    if incident.status.is_active or incident.resolved_at is None:
        return None
    return incident.resolved_at - incident.declared_at


def _counts(values: Iterable[str]) -> dict[str, int]:
    """Most frequent first, then by name, so reports read the same every time."""
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def iso_weeks(since: datetime, until: datetime) -> list[tuple[int, int, date]]:
    """(ISO year, ISO week, its Monday) of every week touching [since, until), oldest first."""
    first = since.astimezone(UTC).date()
    last = (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        year, number, _ = monday.isocalendar()
        weeks.append((year, number, monday))
        monday += timedelta(days=7)
    return weeks


def weekly_trend(incidents: Sequence[Incident], since: datetime, until: datetime) -> tuple[Week, ...]:
    by_week: dict[tuple[int, int], list[Incident]] = {}
    for incident in incidents:
        year, number, _ = incident.declared_at.astimezone(UTC).isocalendar()
        by_week.setdefault((year, number), []).append(incident)
    weeks = []
    for year, number, monday in iso_weeks(since, until):
        declared = by_week.get((year, number), [])
        spans = [s for s in map(time_to_resolve, declared) if s is not None]
        weeks.append(Week(year, number, monday, len(declared), len(spans), Durations.of(spans).median))
    return tuple(weeks)


def postmortem_state(incident: Incident, requires_postmortem: Callable[[str, str], bool]) -> tuple[bool, bool]:
    """(owes a postmortem, has completed it)."""
    if incident.postmortem is not None:
        return True, incident.postmortem.is_complete
    if incident.status.is_active or not requires_postmortem(incident.severity, incident.type):
        return False, False
    return True, incident.status is Status.CLOSED  # resolved before postmortems were recorded


def past_due(incidents: Iterable[Incident], now: datetime) -> tuple[FollowUpFacts, ...]:
    """Follow-ups not done and past their due date, oldest due first."""
    late = (FollowUpFacts.of(i.id, f, restricted=i.private) for i in incidents for f in i.follow_ups
            if f.is_overdue(now))
    return tuple(sorted(late, key=lambda f: (f.due_at, f.incident_id, f.number)))


def compute_report(incidents: Sequence[Incident], *, since: datetime, until: datetime, now: datetime,
                   requires_postmortem: Callable[[str, str], bool],
                   timelines: Mapping[str, Sequence[TimelineEvent]] | None = None) -> Report:
    """The figures for incidents declared in [since, until) (others in ``incidents`` are ignored).

    ``requires_postmortem(severity, type)`` is the policy's rule (``OrganisationPolicy.postmortem_required``),
    for incidents resolved before postmortems were recorded; ``timelines`` (by incident id) enable time
    to mitigate.
    """
    chosen = sorted((i for i in incidents if since <= i.declared_at < until), key=lambda i: (i.declared_at, i.id))
    mitigations = [time_to_mitigate(i, timelines[i.id]) for i in chosen if timelines and i.id in timelines]
    postmortems = [postmortem_state(i, requires_postmortem) for i in chosen]
    follow_ups = [f for i in chosen for f in i.follow_ups]
    return Report(
        since=since, until=until, now=now, total=len(chosen),
        by_severity=_counts(i.severity for i in chosen),
        by_type=_counts(i.type for i in chosen),
        by_service=_counts(s for i in chosen for s in i.services),
        by_status=_counts(i.status.value for i in chosen),
        acknowledge=Durations.of(s for s in map(time_to_acknowledge, chosen) if s is not None),
        mitigate=Durations.of(s for s in mitigations if s is not None),
        resolve=Durations.of(s for s in map(time_to_resolve, chosen) if s is not None),
        postmortems=Rate(sum(done for owed, done in postmortems if owed), sum(owed for owed, _ in postmortems)),
        follow_ups=Rate(sum(f.is_done for f in follow_ups), len(follow_ups)),
        overdue_follow_ups=past_due(chosen, now),
        weeks=weekly_trend(chosen, since, until),
    )
