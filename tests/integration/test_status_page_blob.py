"""The status page published to Azurite's blob service: readable without the app (anonymously, as the static
website serves it), one upload per changed file, and a publisher that lost a race builds the page again; the
records the page is built from are kept newest-first and dropped past the history window."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.blob_status_files import BlobStatusFiles
from devopsbot.bootstrap import Container
from incident import commands
from incident.errors import ConcurrencyConflict
from incident.public_face import PublicFace
from services.status_page import keep_record, publish_status_page
from tests.conftest import ALICE, OUTAGE_CRITERIA

pytestmark = pytest.mark.azurite


def fetch(container: Container, name: str) -> tuple[bytes, str]:
    """The file as anyone reads it: plain HTTP, no key (Azurite's blob endpoint stands in for the website)."""
    files = container.status_page.files
    assert isinstance(files, BlobStatusFiles)
    url = f"{files.service.url}{files.container_name}/{name}"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the local Azurite
        return response.read(), response.headers["Content-Type"]


async def declare_and_publish(container: Container, text: str) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE,
        roles={"commander": ALICE}, services=("checkout",)))
    await container.bus.handle(commands.PostPublicUpdate(incident.id, text, ALICE))
    await container.bus.drain()
    return str(incident.id)


async def test_a_public_update_is_published_to_blob_storage_and_read_without_the_app(
        azurite_status_container: Container) -> None:
    incident_id = await declare_and_publish(azurite_status_container, "Investigating elevated errors")
    html, kind = fetch(azurite_status_container, "index.html")
    assert "Investigating elevated errors" in html.decode() and kind == "text/html; charset=utf-8"
    data = json.loads(fetch(azurite_status_container, "status.json")[0])
    assert [i["id"] for i in data["active_incidents"]] == [incident_id]
    assert fetch(azurite_status_container, "feed.atom")[1] == "application/atom+xml"
    stored = await azurite_status_container.dependencies.incidents.get(incident_id)
    assert [u.text for u in stored.public.updates] == ["Investigating elevated errors"]  # the table keeps it


async def test_publishing_an_unchanged_page_uploads_nothing(azurite_status_container: Container) -> None:
    await declare_and_publish(azurite_status_container, "Investigating")
    deps = azurite_status_container.dependencies
    assert deps.status_page is not None
    assert await publish_status_page(deps, deps.status_page) == []


async def test_a_file_published_by_someone_else_meanwhile_makes_the_page_build_again(
        azurite_status_container: Container) -> None:
    await declare_and_publish(azurite_status_container, "Investigating")
    deps = azurite_status_container.dependencies
    assert deps.status_page is not None
    files = deps.status_page.files
    stale = await files.listing()
    await files.upload("status.json", b"{}", "application/json", "another", stale["status.json"])
    with pytest.raises(ConcurrencyConflict, match="published by someone else"):
        await files.upload("status.json", b"{}", "application/json", "mine", stale["status.json"])
    assert await publish_status_page(deps, deps.status_page) == ["status.json"]  # put right from the incidents
    assert json.loads(fetch(azurite_status_container, "status.json")[0])["active_incidents"]


async def test_an_older_record_never_replaces_a_newer_one_and_a_private_incident_keeps_none(
        azurite_status_container: Container) -> None:
    incident_id = await declare_and_publish(azurite_status_container, "Investigating")
    deps = azurite_status_container.dependencies
    assert deps.status_page is not None
    records = deps.status_page.records
    [kept] = await records.all()
    assert (kept.id, [u.text for u in kept.public.updates]) == (incident_id, ["Investigating"])
    await records.put(replace(kept, version=kept.version - 1, public=PublicFace(title="stale")))
    assert await records.all() == [kept]
    incident = await deps.incidents.get(incident_id)
    await keep_record(deps.status_page, replace(incident, private=True))
    assert await records.all() == []


async def test_records_resolved_before_the_history_window_are_dropped_once_published(
        azurite_status_container: Container) -> None:
    incident_id = await declare_and_publish(azurite_status_container, "Investigating")
    deps = azurite_status_container.dependencies
    assert deps.status_page is not None
    await azurite_status_container.bus.handle(commands.Resolve(incident_id, "fixed", ALICE, OUTAGE_CRITERIA))
    await azurite_status_container.bus.drain()
    assert [r.status.value for r in await deps.status_page.records.all()] == ["resolved"]
    azurite_status_container.clock.advance(timedelta(days=91))  # type: ignore[attr-defined]
    assert await publish_status_page(deps, deps.status_page) == ["index.html", "status.json", "feed.atom"]
    assert await deps.status_page.records.all() == []
    assert json.loads(fetch(azurite_status_container, "status.json")[0])["history"] == []
