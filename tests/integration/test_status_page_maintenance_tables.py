"""Scheduled maintenance on Azurite: the windows kept in their own partition of the status page's table (read
back whole, never mixed with the incidents' public records), published to the blob store, flipped by the timer
at their start, cancelled, and dropped once past the history window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.table_maintenance import TableMaintenanceWindows
from devopsbot.bootstrap import Container
from incident.maintenance import CancelMaintenance, MaintenanceWindow, ScheduleMaintenance
from services.status_page import publish_status_page
from services.timers import run_tick
from tests.conftest import ALICE
from tests.integration.test_status_page_blob import declare_and_publish, fetch

pytestmark = pytest.mark.azurite


async def schedule(container: Container, title: str, start: timedelta) -> MaintenanceWindow:
    now = container.clock.now()
    window: MaintenanceWindow = await container.bus.handle(ScheduleMaintenance(
        title=title, description="Payments may be retried.", components=("payments", "checkout"),
        starts_at=now + start, ends_at=now + start + timedelta(hours=1), actor=ALICE, enforce_roles=False))
    await container.bus.drain()
    return window


async def test_windows_are_kept_published_flipped_cancelled_and_dropped(azurite_status_container: Container,
                                                                         clock: FixedClock) -> None:
    container = azurite_status_container
    await declare_and_publish(container, "Investigating elevated errors")
    kept = container.status_page.maintenance
    assert isinstance(kept, TableMaintenanceWindows)
    first = await schedule(container, "Card processor upgrade", timedelta(hours=2))
    second = await schedule(container, "Ledger upgrade", timedelta(days=2))
    assert sorted(await kept.all(), key=lambda w: w.starts_at) == [first, second]  # exactly as stored
    assert await kept.get(first.id) == first and await kept.get("MNT-ABSENT") is None
    records = await container.status_page.records.all()  # the incidents' partition, apart from the windows'
    assert records and all(r.id.startswith("INC-") for r in records)
    data = json.loads(fetch(container, "status.json")[0])
    assert [w["title"] for w in data["scheduled_maintenance"]] == ["Card processor upgrade", "Ledger upgrade"]

    clock.advance(timedelta(hours=2))
    await run_tick(container.bus, clock.now())
    data = json.loads(fetch(container, "status.json")[0])
    assert [w["status"] for w in data["scheduled_maintenance"]] == ["in_progress", "scheduled"]
    assert {c["id"]: c["status"] for c in data["components"]}["payments"] == "under_maintenance"

    await container.bus.handle(CancelMaintenance(second.id, ALICE, enforce_roles=False))
    stored = await kept.get(second.id)
    assert stored is not None and stored.cancelled_at == clock.now()
    data = json.loads(fetch(container, "status.json")[0])
    assert [w["title"] for w in data["scheduled_maintenance"]] == ["Card processor upgrade"]

    clock.advance(timedelta(days=92))  # past the 90 days' history: the page forgets it, and so does the table
    await run_tick(container.bus, clock.now())
    await publish_status_page(container.dependencies, container.status_page)
    assert await kept.all() == []
    assert json.loads(fetch(container, "status.json")[0])["maintenance_history"] == []
