"""Loads what the metrics need from storage (never a table scan) and computes the report.

The read side shared by ``python -m devopsbot report``, the dashboard and the weekly digest: incidents
come from the declaration-month index, timelines (for time to mitigate) one partition read each.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from incident.errors import DomainError
from incident.model import TimelineEvent
from services.bus import Dependencies
from services.metrics import FollowUpFacts, Report, compute_report, past_due

TIMELINE_READS_AT_ONCE = 16
DASHBOARD_WEEKS = 12


async def build_report(deps: Dependencies, since: datetime, until: datetime, *,
                       with_timelines: bool = True) -> Report:
    """The report for incidents declared in [since, until), as of the clock's now.

    ``with_timelines=False`` skips one read per incident and leaves time to mitigate empty (the charts
    need only declaration and resolution times)."""
    incidents = await deps.incidents.declared_between(since, until)
    timelines: dict[str, list[TimelineEvent]] | None = None
    if with_timelines:
        reads = asyncio.Semaphore(TIMELINE_READS_AT_ONCE)

        async def timeline(incident_id: str) -> list[TimelineEvent]:
            async with reads:
                return await deps.incidents.timeline(incident_id)

        loaded = await asyncio.gather(*(timeline(i.id) for i in incidents))
        timelines = {i.id: t for i, t in zip(incidents, loaded, strict=True)}
    def requires_postmortem(severity: str, incident_type: str) -> bool:
        try:
            return deps.policy.postmortem_required(severity, incident_type)
        except DomainError:  # a severity or type since removed from the organisation file
            return False

    return compute_report(incidents, since=since, until=until, now=deps.clock.now(),
                          requires_postmortem=requires_postmortem, timelines=timelines)


async def past_due_follow_ups(deps: Dependencies) -> tuple[FollowUpFacts, ...]:
    """Every follow-up not done and past its due date, whenever its incident was declared (the follow-up
    index, not a scan), oldest due first."""
    return past_due(await deps.incidents.with_open_follow_ups(), deps.clock.now())


def recent_weeks(now: datetime, weeks: int = DASHBOARD_WEEKS) -> tuple[datetime, datetime]:
    """[Monday 00:00 UTC ``weeks - 1`` weeks before this week's, now): the period the dashboard charts."""
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC), now
