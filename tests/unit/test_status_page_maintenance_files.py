"""Scheduled maintenance in the published files, with the clock injected: a window scheduled, in progress and
completed in the HTML (states in words), status.json (against the published schema) and the Atom feed (an
entry per window); a component under maintenance says so; nothing but the public title and description shows."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from adapters.status_files import render_status_files
from incident.maintenance import (
    MaintenanceRefused,
    MaintenanceWindow,
    ScheduleMaintenance,
    cancelled,
    new_window,
    parse_add,
)
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from incident.status_page import build_status_page
from tests.unit.test_incident_lifecycle import T0
from tests.unit.test_status_page_files import ATOM, SCHEMA, outline
from tests.unit.test_status_page_model import published

SCHEDULER = Person(id="29:zqxsecret-id", name="Zqxsecret Scheduler", email="zqxsecret@contoso.example")


def window(policy: OrganisationPolicy, start: timedelta, hours: int = 2, title: str = "Database upgrade",
           components: tuple[str, ...] = ("checkout", "search")) -> MaintenanceWindow:
    cmd = ScheduleMaintenance(title=title, description="Checkout may be slow <for> a few minutes.",
                              components=components, starts_at=T0 + start, ends_at=T0 + start + timedelta(hours=hours),
                              actor=SCHEDULER)
    return new_window(cmd, policy.services, T0)


def files(policy: OrganisationPolicy, *windows: MaintenanceWindow, at: timedelta,
          incidents: tuple[Incident, ...] = ()) -> dict[str, bytes]:
    shown = build_status_page(incidents, policy=policy.status_page, services=policy.services,
                              severity_ranks={s.name: s.rank for s in policy.severities}, now=T0 + at,
                              maintenance=windows)
    return render_status_files(shown, policy.status_page.history_days)


def valid(content: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(content)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


@pytest.mark.parametrize(("at", "state", "checkout", "heading"), [
    (timedelta(hours=1), "scheduled", "Operational", "Scheduled maintenance"),
    (timedelta(hours=25), "in_progress", "Under maintenance", "Maintenance in progress"),
])
def test_a_window_to_come_or_under_way_is_announced_in_every_file(
        policy: OrganisationPolicy, at: timedelta, state: str, checkout: str, heading: str) -> None:
    published_files = files(policy, window(policy, timedelta(hours=24)), at=at)
    data = valid(published_files["status.json"])
    assert [(w["title"], w["status"], w["components"]) for w in data["scheduled_maintenance"]] == [
        ("Database upgrade", state, ["Checkout", "Search"])]
    parsed = outline(published_files)
    assert "Database upgrade" in parsed.headings
    text = "".join(parsed.text)
    assert heading in text and "Checkout may be slow <for> a few minutes." in text
    assert f"Checkout{checkout}" in text.replace("\n", "")  # the component's state in words, not colour alone
    entries = ET.fromstring(published_files["feed.atom"]).findall(f"{ATOM}entry")  # noqa: S314 - rendered here
    assert [e.findtext(f"{ATOM}title") for e in entries] == [f"{heading}: Database upgrade"]
    assert "28 Nov 2026 10:00 UTC to 28 Nov 2026 12:00 UTC (Checkout, Search)." in entries[0].findtext(
        f"{ATOM}content", "")


def test_a_completed_window_moves_to_the_history(policy: OrganisationPolicy) -> None:
    published_files = files(policy, window(policy, timedelta(hours=24)), at=timedelta(days=2))
    data = valid(published_files["status.json"])
    assert data["scheduled_maintenance"] == []
    assert [(w["status"], w["ends_at"]) for w in data["maintenance_history"]] == [
        ("completed", "2026-11-28T12:00:00Z")]
    assert data["status"] == {"indicator": "operational", "description": "All systems operational"}
    assert "Maintenance completed: Database upgrade" in "".join(outline(published_files).text)
    entries = ET.fromstring(published_files["feed.atom"]).findall(f"{ATOM}entry")  # noqa: S314 - rendered here
    assert [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}updated")) for e in entries] == [
        ("Maintenance completed: Database upgrade", "2026-11-28T12:00:00Z")]
    gone = files(policy, window(policy, timedelta(hours=24)), at=timedelta(days=95))
    assert valid(gone["status.json"])["maintenance_history"] == []  # past the 90 days


def test_an_incident_outranks_maintenance_and_a_cancelled_window_is_on_no_page(policy: OrganisationPolicy) -> None:
    incident = replace(published(policy, "SEV1"), services=("checkout",))
    under_way = window(policy, timedelta(hours=-1))
    data = valid(files(policy, under_way, at=timedelta(0), incidents=(incident,))["status.json"])
    states = {c["id"]: c["status"] for c in data["components"]}
    assert states["checkout"] == "major_outage" and states["search"] == "under_maintenance"
    assert data["status"]["indicator"] == "major_outage"
    called_off = cancelled(window(policy, timedelta(hours=3)), T0)
    for content in files(policy, called_off, at=timedelta(0)).values():
        assert b"Database upgrade" not in content


def test_nothing_but_the_public_title_and_description_is_published(policy: OrganisationPolicy) -> None:
    for at in (timedelta(0), timedelta(hours=25), timedelta(days=2)):
        for name, content in files(policy, window(policy, timedelta(hours=24)), at=at).items():
            assert b"zqxsecret" not in content.lower(), name


def test_a_window_is_refused_in_a_sentence(policy: OrganisationPolicy) -> None:
    with pytest.raises(MaintenanceRefused, match="at most 14 days"):
        window(policy, timedelta(hours=1), hours=24 * 15)
    with pytest.raises(MaintenanceRefused, match="more than a year"):
        window(policy, timedelta(days=400))
    with pytest.raises(MaintenanceRefused, match="needs a public title"):
        window(policy, timedelta(hours=1), title="  \x07 ")
    with pytest.raises(MaintenanceRefused, match="at least one component"):
        window(policy, timedelta(hours=1), components=(" ", ""))
    with pytest.raises(MaintenanceRefused, match="Give a start, an end"):
        parse_add("2026-11-28T22:00Z 2026-11-28T23:00Z checkout", SCHEDULER)
