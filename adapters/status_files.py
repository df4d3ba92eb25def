"""The status page as static files: index.html (no script), status.json (docs/status-page.schema.json) and
feed.atom, rendered from ``StatusPage`` (incident/status_page.py), which holds only what was made public."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, NamedTuple

from adapters.templates import status_environment
from incident.public_face import PublicUpdate
from incident.status_page import ComponentState, PublicIncident, PublicMaintenance, StatusPage

FEED_ID = "urn:devopsbot:status-page"
FEED_ENTRIES = 50  # the newest public updates; feed readers keep what they already fetched
CONTENT_TYPES = {"index.html": "text/html; charset=utf-8", "status.json": "application/json",
                 "feed.atom": "application/atom+xml"}
SCHEMA_VERSION = 1

STATE_TEXT = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
              "resolved": "Resolved"}
COMPONENT_TEXT = {"operational": "Operational", "degraded_performance": "Degraded performance",
                  "partial_outage": "Partial outage", "major_outage": "Major outage",
                  "under_maintenance": "Under maintenance"}
OVERALL_TEXT = {"operational": "All systems operational", "degraded_performance": "Some systems are degraded",
                "partial_outage": "Partial outage", "major_outage": "Major outage",
                "under_maintenance": "Maintenance in progress"}
MAINTENANCE_TEXT = {"scheduled": "Scheduled maintenance", "in_progress": "Maintenance in progress",
                    "completed": "Maintenance completed"}


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if at else None


def _incident_json(incident: PublicIncident) -> dict[str, Any]:
    return {"id": incident.id, "title": incident.title, "status": incident.state, "impact": incident.impact,
            "components": list(incident.components), "started_at": _iso(incident.started_at),
            "resolved_at": _iso(incident.resolved_at),
            "updates": [{"at": _iso(u.at), "status": u.state, "text": u.text} for u in incident.updates]}


def _maintenance_json(window: PublicMaintenance) -> dict[str, Any]:
    return {"id": window.id, "title": window.title, "description": window.description, "status": window.state,
            "components": list(window.components), "starts_at": _iso(window.starts_at),
            "ends_at": _iso(window.ends_at)}


def status_json(page: StatusPage) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION, "title": page.title, "updated_at": _iso(page.updated_at),
        "status": {"indicator": page.overall, "description": OVERALL_TEXT[page.overall]},
        "components": [{"id": c.component.key, "name": c.component.name, "group": c.component.group or None,
                        "status": c.state} for c in page.components],
        "active_incidents": [_incident_json(i) for i in page.active],
        "history": [_incident_json(i) for i in page.history],
        "scheduled_maintenance": [_maintenance_json(w) for w in page.maintenance],
        "maintenance_history": [_maintenance_json(w) for w in page.maintenance_history],
    }


def _groups(components: tuple[ComponentState, ...]) -> list[tuple[str, list[ComponentState]]]:
    """Components under their group, groups in the order the file first names them, ungrouped first."""
    order = {g: n for n, g in enumerate(dict.fromkeys(c.component.group for c in components))}
    ranked = sorted(components, key=lambda c: (c.component.group != "", order[c.component.group]))
    return [(group, list(items)) for group, items in groupby(ranked, key=lambda c: c.component.group)]


class FeedEntry(NamedTuple):
    incident: PublicIncident
    post: PublicUpdate  # not "update": Jinja would find the mapping method of that name first

    @property
    def at(self) -> datetime:
        return self.post.at


class MaintenanceEntry(NamedTuple):
    """One entry per window, updated when it is scheduled, starts and ends (its title says which)."""

    window: PublicMaintenance

    @property
    def at(self) -> datetime:
        return self.window.updated_at


def render_status_files(page: StatusPage, history_days: int, subscribe_url: str = "") -> dict[str, bytes]:
    """Every file of the page, by name, as the bytes to upload; ``subscribe_url``: where the page's
    subscription form posts (the app's public address), "" for no form."""
    html = status_environment("html").get_template("index.html.j2").render(
        page=page, groups=_groups(page.components), history_days=history_days, state_text=STATE_TEXT,
        component_text=COMPONENT_TEXT, overall_text=OVERALL_TEXT, maintenance_text=MAINTENANCE_TEXT,
        subscribe_url=subscribe_url)
    entries: list[FeedEntry | MaintenanceEntry] = [FeedEntry(i, u) for i in (*page.active, *page.history)
                                                   for u in i.updates]
    entries += [MaintenanceEntry(w) for w in (*page.maintenance, *page.maintenance_history)]
    entries = sorted(entries, key=lambda e: e.at, reverse=True)[:FEED_ENTRIES]
    feed = status_environment("atom").get_template("feed.atom.j2").render(
        page=page, entries=entries, feed_id=FEED_ID, state_text=STATE_TEXT, maintenance_text=MAINTENANCE_TEXT,
        updated=page.updated_at or page.generated_at)
    data = json.dumps(status_json(page), ensure_ascii=False, separators=(",", ":"))
    return {"index.html": html.encode(), "status.json": data.encode(), "feed.atom": feed.encode()}


def status_page_files(page: StatusPage, history_days: int, subscribe_url: str = "") -> dict[str, tuple[bytes, str]]:
    """What services.status_page uploads: each file's content and content type."""
    files = render_status_files(page, history_days, subscribe_url)
    return {name: (content, CONTENT_TYPES[name]) for name, content in files.items()}
