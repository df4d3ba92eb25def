"""The status page as data: each component's state, the active published incidents and the last days' history,
built only from what was made public (``PublicFace``) and never from a private incident."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from incident.lifecycle import Status
from incident.maintenance import COMPLETED, IN_PROGRESS, MaintenanceWindow
from incident.model import Incident
from incident.public_face import Component, PublicFace, PublicUpdate, StatusPagePolicy

# The lifecycle's statuses in the words status pages use (Statuspage, incident.io, Atlassian's vocabulary).
PUBLIC_STATES: Mapping[Status, str] = {
    Status.DECLARED: "investigating", Status.INVESTIGATING: "investigating", Status.IDENTIFIED: "identified",
    Status.MONITORING: "monitoring", Status.RESOLVED: "resolved", Status.POSTMORTEM: "resolved",
    Status.CLOSED: "resolved",
}
# A component's state, best first; the worst one of its active published incidents wins.
COMPONENT_STATES = ("operational", "degraded_performance", "partial_outage", "major_outage")
UNDER_MAINTENANCE = "under_maintenance"  # an operational component inside a maintenance window in progress


class Publishable(Protocol):
    """What the page reads of an incident: an ``Incident``, or the ``PublicRecord`` kept of it."""

    @property
    def id(self) -> str: ...
    @property
    def private(self) -> bool: ...
    @property
    def public(self) -> PublicFace: ...
    @property
    def status(self) -> Status: ...
    @property
    def severity(self) -> str: ...
    @property
    def services(self) -> tuple[str, ...]: ...
    @property
    def declared_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class PublicRecord:
    """The part of a published incident the page is built from, kept apart so that publishing reads one
    record per published incident and never an incident's internal fields. ``version``: the incident's
    stored event count, so an older record never replaces a newer one."""

    id: str
    public: PublicFace
    status: Status
    severity: str
    services: tuple[str, ...]
    declared_at: datetime
    resolved_at: datetime | None
    version: int
    private: bool = False  # never stored: a private incident has no record


def public_record(incident: Incident) -> PublicRecord | None:
    """The record to keep of ``incident``; None when it must be on no page (private, or never published)."""
    if incident.private or not incident.public.published:
        return None
    return PublicRecord(id=incident.id, public=incident.public, status=incident.status, severity=incident.severity,
                        services=incident.services, declared_at=incident.declared_at,
                        resolved_at=incident.resolved_at, version=incident.event_count + len(incident.pending))


def public_state(status: Status) -> str:
    return PUBLIC_STATES[status]


def impact_of(severity_rank: int) -> str:
    """The most severe level is a major outage, the next a partial one, any other degraded performance."""
    return COMPONENT_STATES[max(1, 4 - severity_rank)]


@dataclass(frozen=True)
class PublicIncident:
    """Everything the page shows of one incident: nothing here comes from its internal title or timeline."""

    id: str
    title: str
    state: str
    impact: str
    components: tuple[str, ...]  # the components' public names
    started_at: datetime
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first


@dataclass(frozen=True)
class PublicMaintenance:
    """Everything the page shows of a maintenance window: its public title and description, nothing else."""

    id: str
    title: str
    description: str
    state: str  # scheduled, in_progress or completed
    components: tuple[str, ...]  # the components' public names
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime  # its newest change as of the page: scheduled, started, ended


@dataclass(frozen=True)
class ComponentState:
    component: Component
    state: str


@dataclass(frozen=True)
class StatusPage:
    title: str
    generated_at: datetime
    # The newest public change shown (an update, a resolution): what the page says it was updated at, so the
    # same public state renders the same bytes and an unchanged file is not uploaded again. None: nothing shown.
    updated_at: datetime | None
    overall: str  # the worst component state, or "operational"
    components: tuple[ComponentState, ...]
    active: tuple[PublicIncident, ...]
    history: tuple[PublicIncident, ...]  # resolved within the history window, newest first
    maintenance: tuple[PublicMaintenance, ...] = ()  # scheduled or in progress, soonest first
    maintenance_history: tuple[PublicMaintenance, ...] = ()  # completed within the history window, newest first


def components_of(policy: StatusPagePolicy, services: Iterable[str]) -> tuple[Component, ...]:
    """Every service of the organisation as a component, with the public name and group the file gives."""
    named = {c.key: c for c in policy.components}
    return tuple(named.get(key, Component(key, key)) for key in services)


def public_incident(incident: Publishable, policy: StatusPagePolicy, names: Mapping[str, str],
                    ranks: Mapping[str, int]) -> PublicIncident:
    face = incident.public
    return PublicIncident(
        id=incident.id, title=face.title or policy.default_title, state=public_state(incident.status),
        impact=impact_of(ranks.get(incident.severity, 99)),
        components=tuple(names[s] for s in incident.services if s in names),
        started_at=incident.declared_at,
        resolved_at=incident.resolved_at if not incident.status.is_active else None,
        updates=tuple(reversed(sorted(face.updates, key=lambda u: u.at))))  # newest first; of two at once, the later


def public_maintenance(window: MaintenanceWindow, names: Mapping[str, str], now: datetime) -> PublicMaintenance:
    state = window.state(now)
    edges = [window.scheduled_at, *(at for at in (window.starts_at, window.ends_at) if at <= now)]
    return PublicMaintenance(id=window.id, title=window.title, description=window.description, state=state,
                             components=tuple(names[c] for c in window.components if c in names),
                             starts_at=window.starts_at, ends_at=window.ends_at, updated_at=max(edges))


def maintenance_now(windows: Iterable[MaintenanceWindow], names: Mapping[str, str], now: datetime,
                    since: datetime) -> tuple[list[PublicMaintenance], list[PublicMaintenance], set[str]]:
    """The windows to announce, those completed since ``since``, and the components under maintenance now."""
    coming: list[PublicMaintenance] = []
    done: list[PublicMaintenance] = []
    worked_on: set[str] = set()
    for window in windows:
        if not window.shown:
            continue
        shown = public_maintenance(window, names, now)
        if shown.state == COMPLETED:
            if window.ends_at >= since:
                done.append(shown)
            continue
        coming.append(shown)
        if shown.state == IN_PROGRESS:
            worked_on.update(window.components)
    return (sorted(coming, key=lambda w: w.starts_at), sorted(done, key=lambda w: w.ends_at, reverse=True),
            worked_on)


def build_status_page(incidents: Iterable[Publishable], *, policy: StatusPagePolicy, services: Iterable[str],
                      severity_ranks: Mapping[str, int], now: datetime,
                      maintenance: Iterable[MaintenanceWindow] = ()) -> StatusPage:
    """The page as of ``now``: private and unpublished incidents are dropped before anything is read of them."""
    components = components_of(policy, services)
    names = {c.key: c.name for c in components}
    since = now - timedelta(days=policy.history_days)
    published = [i for i in dict((i.id, i) for i in incidents).values() if not i.private and i.public.published]
    active, history = [], []
    worst = dict.fromkeys(names, 0)
    for incident in published:
        shown = public_incident(incident, policy, names, severity_ranks)
        if incident.status.is_active:
            active.append(shown)
            for service in incident.services:
                if service in worst:
                    worst[service] = max(worst[service], COMPONENT_STATES.index(shown.impact))
        elif shown.resolved_at is not None and shown.resolved_at >= since:
            history.append(shown)
    coming, done, worked_on = maintenance_now(maintenance, names, now, since)
    states = tuple(ComponentState(c, UNDER_MAINTENANCE if not worst[c.key] and c.key in worked_on
                                  else COMPONENT_STATES[worst[c.key]]) for c in components)
    overall = COMPONENT_STATES[max(worst.values(), default=0)]
    if overall == COMPONENT_STATES[0] and any(s.state == UNDER_MAINTENANCE for s in states):
        overall = UNDER_MAINTENANCE
    changes = [u.at for i in (*active, *history) for u in i.updates]
    changes += [i.resolved_at for i in history if i.resolved_at is not None]
    changes += [w.updated_at for w in (*coming, *done)]
    return StatusPage(
        title=policy.title, generated_at=now, updated_at=max(changes, default=None), overall=overall,
        components=states,
        active=tuple(sorted(active, key=lambda i: i.started_at, reverse=True)),
        history=tuple(sorted(history, key=lambda i: i.resolved_at or i.started_at, reverse=True)),
        maintenance=tuple(coming), maintenance_history=tuple(done))
