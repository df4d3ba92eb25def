"""Scheduled maintenance on the status page: scheduling and cancelling a window (incident admins, or the
communications lead on the roster for every component it names), listing them, and the due work that
publishes the page again when a window starts and when it ends, so the page changes without anyone acting."""

from __future__ import annotations

from collections.abc import Sequence

from incident.access import is_admin, same_person
from incident.errors import ConfigurationError
from incident.maintenance import (
    COMPLETED,
    CancelMaintenance,
    MaintenanceNotFound,
    MaintenanceNotPermitted,
    MaintenanceWindow,
    ScheduleMaintenance,
    cancelled,
    new_window,
)
from incident.people import Person
from services.bus import Dependencies, Handler
from services.ports import DueItem
from services.roster_service import chain_for
from services.status_page import publish_status_page
from services.status_page_ports import StatusPagePublishing

MAINTENANCE_EDGE = "maintenance_edge"  # due work: a window starts or ends, the page is published again
COMMUNICATIONS_ROLE = "communications_lead"


def _publishing(deps: Dependencies) -> StatusPagePublishing:
    if deps.status_page is None:
        raise ConfigurationError("status page", "", "none is published here, so no maintenance can be scheduled")
    return deps.status_page


async def may_schedule(deps: Dependencies, actor: Person, components: Sequence[str]) -> None:
    """Incident admins; or whoever the roster names now as communications lead (a primary or a delegate) for
    every component of the window. A window is tied to no incident, so no incident role can say it."""
    if is_admin(actor, deps.policy.admins):
        return
    if COMMUNICATIONS_ROLE in {r.key for r in deps.policy.roles}:
        now = deps.clock.now()
        for component in components:
            chain = await chain_for(deps.roster, (component,), COMMUNICATIONS_ROLE, now)
            if not any(same_person(actor, p) for p in chain):
                break
        else:
            return
    raise MaintenanceNotPermitted("refused", components=", ".join(components))


async def schedule_maintenance(cmd: ScheduleMaintenance, deps: Dependencies) -> MaintenanceWindow:
    publishing = _publishing(deps)
    window = new_window(cmd, deps.policy.services, deps.clock.now())
    if cmd.enforce_roles:
        await may_schedule(deps, cmd.actor, window.components)
    await publishing.maintenance.put(window)
    await deps.due_work.schedule_many([DueItem(MAINTENANCE_EDGE, f"maintenance:{window.id}", at, {"window": window.id})
                                       for at in (window.starts_at, window.ends_at)])
    await publish_status_page(deps, publishing)
    return window


async def cancel_maintenance(cmd: CancelMaintenance, deps: Dependencies) -> MaintenanceWindow:
    publishing = _publishing(deps)
    window = await publishing.maintenance.get(cmd.window_id)
    if window is None or not window.shown:
        raise MaintenanceNotFound("not_found", id=cmd.window_id)
    if cmd.enforce_roles:
        await may_schedule(deps, cmd.actor, window.components)
    window = cancelled(window, deps.clock.now())
    await publishing.maintenance.put(window)
    await publish_status_page(deps, publishing)
    return window


async def current_windows(deps: Dependencies) -> list[MaintenanceWindow]:
    """The windows scheduled or in progress, soonest first (cancelled ones are gone)."""
    now = deps.clock.now()
    windows = await _publishing(deps).maintenance.all()
    return sorted((w for w in windows if w.shown and w.state(now) != COMPLETED), key=lambda w: w.starts_at)


async def at_window_edge(deps: Dependencies) -> None:
    """MAINTENANCE_EDGE: the page as of now (the window's state follows the clock, so building it is enough)."""
    if deps.status_page is not None:
        await publish_status_page(deps, deps.status_page)


MAINTENANCE_HANDLERS: dict[type, Handler] = {ScheduleMaintenance: schedule_maintenance,
                                             CancelMaintenance: cancel_maintenance}
