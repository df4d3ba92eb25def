"""The commander's happy path as a person does it in the Playground's web page (headless Chromium), with a
screenshot kept at each step in tests/artifacts/flow-*.png: the short form, the declared card, the card after
Acknowledge, the plan ticking itself, the severity raise announced in the broadcast thread, the resolved card,
and the postmortem. The Playground shows no user-specific card views (Teams' refresh), so the commander's
buttons are typed as commands here (status, severity, resolve); tests/e2e/test_playground_flow.py presses them.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, async_playwright

from devopsbot.settings import ROOT
from tests.e2e.test_playground_page import CHROMIUM, CHROMIUM_FLAGS
from tests.support.playground import Playground

pytestmark = [pytest.mark.e2e, pytest.mark.azurite, pytest.mark.browser]

ARTIFACTS = ROOT / "tests" / "artifacts"
WAIT = 30_000  # ms for the bot's answer to show
MAX_SHOT = 300_000  # bytes of a kept screenshot
# ``element`` at the top of its scrolling list, a little below the edge so its card's frame shows.
SCROLL_TO_TOP = """element => {
    element.scrollIntoView({block: 'start'});
    let list = element.parentElement;
    while (list && list.scrollHeight <= list.clientHeight) list = list.parentElement;
    if (list) list.scrollTop -= 48;
}"""
ERRORS = ("Sorry, something went wrong", "Traceback", "BadArgument", "That did not work")


async def mention(page: Page, text: str) -> None:
    """Type ``@devopsbot text`` where the cursor is, picking the bot in the mention menu as a person does."""
    await page.keyboard.type("@devops", delay=30)
    await page.locator("#typeahead-menu").get_by_text("devopsbot", exact=True).first.click()
    await page.keyboard.type(" " + text)


def thread(page: Page, text: str) -> Locator:
    """The innermost block holding ``text`` and a reply box: that message's thread."""
    return page.locator("div", has=page.get_by_text(text).first).filter(has=page.get_by_label("Send Message")).last


async def reply(page: Page, where: Locator, text: str) -> None:
    await where.get_by_role("textbox").last.click()
    await mention(page, text)
    await where.get_by_label("Send Message").last.click()


async def shot(page: Page, top: Locator, name: str) -> None:
    """Scroll ``top`` to the top of the view, check no error shows, keep the view as tests/artifacts/``name``."""
    await top.evaluate(SCROLL_TO_TOP)
    await page.mouse.move(0, 0)  # no hover highlight
    await page.wait_for_timeout(300)
    shown = await page.locator("main, body").first.inner_text()
    assert not [e for e in ERRORS if e in shown], shown
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path))
    assert path.stat().st_size < MAX_SHOT, f"{path} is {path.stat().st_size} bytes"


async def test_the_commanders_happy_path_in_the_playground_page(playground: Playground) -> None:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(playground.base_url, wait_until="networkidle")
            await page.get_by_title("Toggle Log Panel").click()  # the fixture reads the Playground's log itself
            await page.get_by_text("General", exact=True).first.click()

            # 1. The short form: five essentials and "More details".
            await page.get_by_role("textbox").first.click()
            await mention(page, "declare Checkout failing")
            await page.get_by_role("button", name="Post").click()
            form = page.get_by_text("Declare an incident").first
            await form.wait_for(timeout=WAIT)
            for label in ("Title", "Severity", "Incident type", "Commander"):
                assert await page.get_by_text(label, exact=True).first.is_visible(), label
            assert await page.get_by_role("button", name="More details").is_visible()
            assert not await page.get_by_text("Services", exact=True).first.is_visible()
            await shot(page, form, "flow-01-form.png")

            # 2. Declared: the incident's card in its own thread in General.
            await page.get_by_role("button", name="Declare").click()
            await page.get_by_text("Declared INC-").first.wait_for(timeout=WAIT)
            declared = page.get_by_text("· SEV2 · Declared — Checkout failing").first
            await declared.wait_for(timeout=WAIT)
            await page.get_by_text("Response plan: Outage").first.wait_for(timeout=WAIT)
            await shot(page, declared, "flow-02-declared.png")

            # 3. Acknowledge: the status moves on and the button goes.
            await page.get_by_role("button", name="Acknowledge").first.click()
            acknowledged = page.get_by_text("· SEV2 · Investigating — Checkout failing").first
            await acknowledged.wait_for(timeout=WAIT)
            assert await page.get_by_role("button", name="Acknowledge").count() == 0
            await shot(page, acknowledged, "flow-03-acknowledged.png")

            # 4. Identified and a first update: the card follows, the plan ticks its two steps itself.
            here = thread(page, "Response plan: Outage")
            await reply(page, here, "status identified")
            await page.get_by_text("· SEV2 · Identified — Checkout failing").first.wait_for(timeout=WAIT)
            await reply(page, here, "update Rolled back release 42, watching error rates")
            await page.get_by_text("Update posted on INC-").first.wait_for(timeout=WAIT)
            plan = page.get_by_text("Response plan: Outage").first
            done = page.get_by_role("button", name="Done")
            await page.wait_for_function("() => document.body.innerText.split('☑').length - 1 >= 2", timeout=WAIT)
            assert await done.count() == 2  # the two steps nobody can see done still wait for a click
            await shot(page, plan, "flow-04-plan-ticked.png")

            # 5. SEV1: announced in the broadcast thread, the announcement follows.
            await reply(page, here, "severity SEV1 every customer is affected")
            await page.get_by_text("· SEV1 · Identified — Checkout failing").first.wait_for(timeout=WAIT)
            await page.get_by_text("broadcast", exact=True).first.click()
            announced = page.get_by_text("· SEV1 · Identified — Checkout failing").first
            await announced.wait_for(timeout=WAIT)
            await page.get_by_text("(severity raised from SEV2): Checkout failing").first.wait_for(timeout=WAIT)
            await shot(page, announced, "flow-05-severity-broadcast.png")

            # 6. Resolve through the exit criteria: the card says what comes next, with no buttons left to press.
            await page.get_by_text("General", exact=True).first.click()
            here = thread(page, "Response plan: Outage")
            await reply(page, here, "resolve Rolled back release 42")
            await page.get_by_text("Exit criteria: tick what is true").first.wait_for(timeout=WAIT)
            for criterion in ("The service answers normally for all customers",
                              "Monitoring has been green for 30 minutes",
                              "Customers and support have been told it is fixed"):
                await page.get_by_text(criterion, exact=True).first.click()
            await page.get_by_role("button", name="Resolve", exact=True).click()
            await page.get_by_text("is resolved. The incident card and the announcement show it now.").first.wait_for(
                timeout=WAIT)
            resolved = page.get_by_text("· SEV1 · Resolved — Checkout failing").first
            await resolved.wait_for(timeout=WAIT)
            await page.get_by_text("Postmortem by Alice Martin, due").first.wait_for(timeout=WAIT)
            assert await page.get_by_text("Next update due").count() == 0
            assert await page.get_by_role("button", name="Post update").count() == 0
            await shot(page, resolved, "flow-06-resolved.png")

            # 7. The postmortem opens in the thread, its sections ready to fill in.
            await reply(page, here, "postmortem")
            postmortem = page.get_by_text("postmortem: Checkout failing").first
            await postmortem.wait_for(timeout=WAIT)
            assert await page.get_by_role("button", name="Complete the postmortem").is_visible()
            await shot(page, postmortem, "flow-07-postmortem.png")
        finally:
            await browser.close()
