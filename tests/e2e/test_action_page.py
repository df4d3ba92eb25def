"""An email action link in headless Chromium, served by the real local host on Azurite: the page shows
the form, posting it updates the incident as its person, and the link then refuses a second use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from playwright.async_api import ConsoleMessage, async_playwright

from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident.model import Incident
from incident.policy import OrganisationPolicy
from services.action_link_tokens import ActionLinkSigner, LinkAction
from tests.conftest import ALICE, unique_prefix
from tests.support.processes import devopsbot_host, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.azurite, pytest.mark.browser]

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEY = bytes(range(64, 96))
ARTIFACTS = ROOT / "tests" / "artifacts"


async def stored(connection_string: str, prefix: str, policy: OrganisationPolicy, incident_id: str) -> Incident:
    container = Container(Settings(storage_connection_string=connection_string, table_prefix=prefix),
                          policy=policy, notifier=RecordingNotifier())
    try:
        if incident_id == "new":
            incident = Incident.declare(
                incident_id="INC-2026-0007", title="Checkout <failing>", summary="", incident_type="outage",
                severity="SEV2", declared_by=ALICE, at=datetime.now(UTC), policy=policy, roles={"commander": ALICE})
            await container.dependencies.incidents.add(incident)
            return incident
        return await container.dependencies.incidents.get(incident_id)
    finally:
        await container.aclose()


@pytest.fixture(scope="module")
def host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    prefix = unique_prefix()
    port = free_port()  # the links name the host's address, so it is chosen first
    with devopsbot_host(tmp_path_factory.mktemp("action-host"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": prefix,
            "DEVOPSBOT_ACTION_LINK_KEY": KEY.hex(), "DEVOPSBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "DEVOPSBOT_MAIL_TRANSPORT": ""}, port=port):
        yield f"http://127.0.0.1:{port}", prefix


async def test_an_update_link_works_once_in_a_real_browser(host: tuple[str, str], azurite: str,
                                                          policy: OrganisationPolicy) -> None:
    base, prefix = host
    incident = await stored(azurite, prefix, policy, "new")
    token = ActionLinkSigner(KEY).issue(incident.id, ALICE, LinkAction.UPDATE, datetime.now(UTC))
    url = f"{base}/api/act?{urlencode({'t': token})}"
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page()
            page.on("console", on_console)
            await page.goto(url)
            assert await page.title() == "Post a status update · devopsbot"
            assert "Checkout <failing>" in await page.inner_text("main")  # shown as text, not markup
            await page.get_by_label("Status update").fill("Rolled back to release 41")
            await page.get_by_role("button", name="Post update").click()
            await page.wait_for_selector("p.done")
            assert "Your update is posted" in await page.inner_text("p.done")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "action-link.png"), full_page=True)
            assert problems == []
            reused = await page.goto(url)
            assert reused is not None and reused.status == 410  # Chromium logs the 410 itself; that is all
            assert "already been used" in await page.inner_text("main")
        finally:
            await browser.close()
    after = await stored(azurite, prefix, policy, incident.id)
    assert after.last_update == "Rolled back to release 41"


