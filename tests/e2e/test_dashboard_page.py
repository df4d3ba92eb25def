"""The dashboard in headless Chromium, served by the real local host on Azurite: it renders, the chart
loads, the console stays clean, and a screenshot is kept in tests/artifacts/ for people to look at."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import ConsoleMessage, Response, async_playwright

from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, unique_prefix
from tests.support.processes import devopsbot_host

pytestmark = [pytest.mark.e2e, pytest.mark.azurite, pytest.mark.browser]

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"


async def seed(connection_string: str, prefix: str, policy: OrganisationPolicy) -> None:
    """Two active incidents and, three weeks back, one resolved within 5 hours."""
    now = datetime.now(UTC)
    container = Container(Settings(storage_connection_string=connection_string, table_prefix=prefix),
                          policy=policy, notifier=RecordingNotifier())
    open_one = Incident.declare(
        incident_id="INC-2026-0001", title="Checkout failing <for EU cards>", summary="", incident_type="outage",
        severity="SEV1", declared_by=ALICE, at=now - timedelta(hours=3), policy=policy, priority="P1",
        roles={"commander": Person(id="29:carol", name="Carol Nguyen")})
    open_two = Incident.declare(
        incident_id="INC-2026-0002", title="Slow search", summary="", incident_type="degradation",
        severity="SEV3", declared_by=ALICE, at=now - timedelta(minutes=25), policy=policy)
    earlier = Incident.declare(
        incident_id="INC-2026-0003", title="Payments down", summary="", incident_type="outage", severity="SEV2",
        declared_by=ALICE, at=now - timedelta(days=21), policy=policy, roles={"commander": BOB})
    earlier.transition(Status.MONITORING, actor=BOB, at=now - timedelta(days=21, hours=-1), policy=policy)
    earlier.resolve(actor=BOB, at=now - timedelta(days=21, hours=-5), policy=policy, resolution="fixed",
                    override_reason="test data")
    try:
        for incident in (open_one, open_two, earlier):
            await container.dependencies.incidents.add(incident)
    finally:
        await container.aclose()


@pytest.fixture(scope="module")
def dashboard_url(azurite: str, policy: OrganisationPolicy,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    prefix = unique_prefix()
    asyncio.run(seed(azurite, prefix, policy))
    with devopsbot_host(tmp_path_factory.mktemp("dashboard-host"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": prefix}) as host:
        yield f"http://127.0.0.1:{host.port}/api/dashboard"


async def test_the_dashboard_renders_in_chromium_with_a_clean_console(dashboard_url: str) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1100})
            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
            page.on("response", on_response)
            response = await page.goto(dashboard_url, wait_until="networkidle")
            assert response is not None and response.status == 200
            # The resolved one, which still owes its postmortem, is listed apart from the two active ones.
            await page.get_by_role("heading", name="Active incidents (2)").wait_for()
            await page.get_by_role("heading", name="Resolved, awaiting a postmortem or closing (1)").wait_for()
            row = page.get_by_role("row").filter(has_text="INC-2026-0001")
            cells = await row.get_by_role("cell").all_inner_texts()
            assert cells[:5] + cells[6:] == ["INC-2026-0001", "Checkout failing <for EU cards>", "SEV1", "P1",
                                             "declared", "Carol Nguyen"]
            assert cells[5].startswith("3 h 0")  # its age, a few seconds over three hours
            quiet = page.get_by_role("row").filter(has_text="INC-2026-0002")
            assert (await quiet.get_by_role("cell").all_inner_texts())[3] == "—"  # no priority
            assert await page.get_by_text("No past-due follow-ups.").is_visible()
            chart = page.get_by_role("img", name="Incidents per week and median time to resolve", exact=False)
            assert await chart.evaluate("img => img.complete && img.naturalWidth") == 720
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "dashboard.png"
            await page.screenshot(path=str(shot), full_page=True)
            print(f"dashboard screenshot: {shot}")
        finally:
            await browser.close()
    assert problems == []
