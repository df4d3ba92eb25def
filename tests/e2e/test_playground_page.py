"""What a person does after `make run`: open the Playground page, type help, see the bot's card.

Headless Debian Chromium driven by Playwright (no browser download: the Makefile installs Chromium).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.support.playground import Playground

pytestmark = [pytest.mark.e2e, pytest.mark.azurite, pytest.mark.browser]

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


async def test_a_person_types_help_in_the_playground_page_and_sees_the_card(playground: Playground,
                                                                            tmp_path: Path) -> None:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.goto(playground.base_url, wait_until="networkidle")
            await page.get_by_role("textbox").first.click()
            await page.keyboard.type("help")
            await page.keyboard.press("Enter")
            await page.get_by_text("Show what I can do.").first.wait_for(timeout=30_000)
            assert await page.get_by_text("devopsbot — incident management in Teams").count() == 1
            await page.screenshot(path=str(tmp_path / "playground-help.png"))
        finally:
            await browser.close()


async def test_a_person_declares_in_the_page_and_sees_the_announcement(playground: Playground) -> None:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1400})
            await page.goto(playground.base_url, wait_until="networkidle")
            await page.get_by_text("General", exact=True).first.click()
            await page.get_by_role("textbox").first.click()
            await page.keyboard.type("@dev")
            await page.get_by_text("devopsbot", exact=True).last.click()  # the mention picker
            await page.keyboard.type(" declare Checkout failing")
            await page.get_by_role("button", name="Post").click()
            await page.get_by_text("Declare an incident").first.wait_for(timeout=30_000)
            # The short form: the essentials are filled in (title from the message, commander the declarer);
            # the "is it an incident?" answers start ticked under "More details".
            await page.get_by_role("button", name="Declare").click()
            await page.get_by_text("Declared INC-").first.wait_for(timeout=30_000)
            await page.get_by_text("broadcast", exact=True).first.click()
            announcement = page.get_by_text("· SEV2 · Declared — Checkout failing")
            await announcement.first.wait_for(timeout=30_000)
        finally:
            await browser.close()
