"""The status page follows every public change, from Teams to the published files: one upload per file whose
content changed, nothing for a change the outside world does not see."""

from __future__ import annotations

import json
from typing import Any

from adapters.memory_status_files import MemoryStatusFiles
from devopsbot.bootstrap import Container
from tests.functions.test_teams_conversation import declare, say


async def published(installed: Container) -> tuple[MemoryStatusFiles, dict[str, Any]]:
    await installed.bus.drain()
    files = installed.status_page.files
    assert isinstance(files, MemoryStatusFiles)
    return files, json.loads(files.files["status.json"]) if "status.json" in files.files else {}


async def test_a_public_update_in_teams_is_on_the_published_page(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV1")
    await say(f"public {incident_id} Investigating elevated errors")
    files, data = await published(installed)
    assert "Investigating elevated errors" in files.files["index.html"].decode()
    assert b"Investigating elevated errors" in files.files["feed.atom"]
    assert data["status"] == {"indicator": "major_outage", "description": "Major outage"}
    assert files.content_types == {"index.html": "text/html; charset=utf-8", "status.json": "application/json",
                                   "feed.atom": "application/atom+xml"}
    assert files.requests == ["list", "upload index.html", "upload status.json", "upload feed.atom"]


async def test_only_the_files_whose_content_changed_are_uploaded_again(installed: Container) -> None:
    incident_id = await declare(installed, severity="SEV1")
    await say(f"public {incident_id} Investigating elevated errors")
    files, _ = await published(installed)
    files.requests.clear()
    await say(f"severity {incident_id} SEV2 contained to one region")  # the feed does not show the impact
    files, data = await published(installed)
    assert files.requests == ["list", "upload index.html", "upload status.json"]
    assert data["status"]["indicator"] == "partial_outage"


async def test_a_change_nobody_outside_sees_publishes_nothing(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"update {incident_id} Rolling back release 42")
    files, _ = await published(installed)
    assert files.requests == [] and files.files == {}
    await say(f"public {incident_id} Looking into it")
    files.requests.clear()
    await say(f"update {incident_id} Still rolling back")
    files, _ = await published(installed)
    assert files.requests == []


async def test_the_public_title_replaces_the_neutral_one_and_never_the_internal_title(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"public {incident_id} Looking into it")
    files, data = await published(installed)
    assert [i["title"] for i in data["active_incidents"]] == ["Service disruption"]
    await say(f"public-title {incident_id} Slow checkout")
    files, data = await published(installed)
    assert [i["title"] for i in data["active_incidents"]] == ["Slow checkout"]
    for content in files.files.values():
        assert b"Checkout failing" not in content and b"Card payments time out" not in content
