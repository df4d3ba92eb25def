"""The published status page in headless Chromium, read straight from Azurite's blob service (no app
running): it renders on a phone without scrolling sideways, runs no script, keeps its console clean, and a
screenshot is kept in tests/artifacts/status-page.png for people to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import ConsoleMessage, Request, Response, async_playwright

from adapters.blob_status_files import BlobStatusFiles
from devopsbot.bootstrap import Container
from incident import commands
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.e2e.test_dashboard_page import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS

pytestmark = [pytest.mark.e2e, pytest.mark.azurite, pytest.mark.browser]


async def publish(container: Container) -> str:
    """A SEV1 on checkout with two public updates, and a SEV3 on search resolved an hour later."""
    bus, clock = container.bus, container.clock
    outage = await bus.handle(commands.DeclareIncident(
        title="Card payments failing", incident_type="outage", severity="SEV1", actor=ALICE,
        roles={"commander": ALICE}, services=("checkout", "payments")))
    await bus.handle(commands.SetPublicTitle(outage.id, "Some card payments fail <EU>", ALICE))
    await bus.handle(commands.PostPublicUpdate(outage.id, "We are investigating failed card payments.", ALICE))
    clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    await bus.handle(commands.PostPublicUpdate(outage.id, "A fix is being rolled out.", ALICE))
    slow = await bus.handle(commands.DeclareIncident(
        title="Search index lagging", incident_type="outage", severity="SEV3", actor=ALICE,
        roles={"commander": ALICE}, services=("search",)))
    await bus.handle(commands.PostPublicUpdate(slow.id, "Search results may be out of date.", ALICE))
    await bus.handle(commands.Resolve(slow.id, "reindexed", ALICE, OUTAGE_CRITERIA))
    await bus.drain()
    files = container.status_page.files
    assert isinstance(files, BlobStatusFiles)
    return f"{files.service.url}{files.container_name}/index.html"


async def test_the_status_page_renders_on_a_phone_from_blob_storage_without_the_app(
        azurite_status_container: Container) -> None:
    url = await publish(azurite_status_container)
    await azurite_status_container.aclose()  # the app is gone: the page is only files now
    problems: list[str] = []
    scripts: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def on_request(request: Request) -> None:
        if request.resource_type == "script":
            scripts.append(request.url)

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("request", on_request)
            page.on("response", on_response)
            response = await page.goto(url, wait_until="networkidle")
            assert response is not None and response.status == 200
            await page.get_by_role("heading", name="Contoso status", level=1).wait_for()
            assert await page.get_by_role("status").inner_text() == "Major outage"
            await page.get_by_role("heading", name="Some card payments fail <EU>").wait_for()
            assert await page.get_by_text("A fix is being rolled out.").is_visible()
            component = page.get_by_role("listitem").filter(has_text="Checkout")
            assert "Major outage" in await component.inner_text()
            past = page.get_by_role("region", name="Past incidents (90 days)")
            assert "Service disruption" in await past.inner_text()  # no public title: never the internal one
            assert await page.evaluate("document.scripts.length") == 0
            wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"the page scrolls sideways by {wide} px on a phone"
            body = await page.content()
            assert "Card payments failing" not in body and "Search index lagging" not in body
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "status-page.png"
            await page.screenshot(path=str(shot), full_page=True)
            print(f"status page screenshot: {shot}")
        finally:
            await browser.close()
    assert problems == [] and scripts == []
