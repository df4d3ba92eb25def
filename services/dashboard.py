"""The dashboard's read side: open incidents, past-due follow-ups and the recent weekly trend, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from services.handlers import active_and_resolved, open_incidents
from services.metrics import FollowUpFacts, Report
from services.report_views import human_duration
from services.reporting import DASHBOARD_WEEKS, build_report, past_due_follow_ups, recent_weeks

NO_VALUE = "—"


@dataclass(frozen=True)
class DashboardData:
    now: datetime
    open_incidents: list[Incident]
    past_due: tuple[FollowUpFacts, ...]
    report: Report


async def load_dashboard(deps: Dependencies, weeks: int = DASHBOARD_WEEKS) -> DashboardData:
    """Every read is indexed: the open-incident index, the month index for the weeks charted."""
    now = deps.clock.now()
    since, until = recent_weeks(now, weeks)
    report = await build_report(deps, since, until, with_timelines=False)
    return DashboardData(now, await open_incidents(deps), await past_due_follow_ups(deps), report)


def _rank(policy: OrganisationPolicy, severity: str) -> int:
    return next((s.rank for s in policy.severities if s.name == severity), 0)


def _safe_link(link: str) -> str:
    """Only web links become clickable: a ``javascript:`` link survives HTML escaping."""
    return link if link.startswith(("https://", "http://")) else ""


def page_data(data: DashboardData, policy: OrganisationPolicy, viewer: Person | None = None) -> dict[str, Any]:
    """What ``templates/dashboard/dashboard.html.j2`` shows; the template escapes every value. A security
    incident's details show only to a ``viewer`` who may see it (incident/access.py); with no viewer, to nobody."""
    def row(incident: Incident) -> dict[str, Any]:
        commander = incident.roles.get("commander")
        return {
            "id": incident.id, "title": incident.title,
            "restricted": not incident.may_see(viewer, policy.admins) if viewer else incident.private,
            "severity": incident.severity, "rank": _rank(policy, incident.severity),
            "priority": incident.priority or NO_VALUE, "status": incident.status.value,
            "age": human_duration(data.now - incident.declared_at),
            "resolved_ago": human_duration(data.now - incident.resolved_at) if incident.resolved_at else NO_VALUE,
            "commander": commander.name if commander else NO_VALUE,
        }

    active, resolved = active_and_resolved(data.open_incidents)
    past_due = [{"incident_id": f.incident_id, "number": f.number, "title": f.title, "owner": f.owner.name,
                 "link": _safe_link(f.link), "due": f"{f.due_at:%Y-%m-%d}",
                 "late_by": human_duration(data.now - f.due_at)}
                for f in data.past_due]
    return {"active_incidents": [row(i) for i in active], "resolved_incidents": [row(i) for i in resolved],
            "past_due": past_due, "now_text": f"{data.now:%Y-%m-%d %H:%M} UTC",
            "weeks": len(data.report.weeks), "total": data.report.total,
            "median_resolve": human_duration(data.report.resolve.median)}
