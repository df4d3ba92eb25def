"""A new instance is warm before its first Teams request: the warmup trigger (and the local host's background
warm-up) builds what /api/messages needs once; the first request then builds nothing, or waits for the warm-up
in flight instead of building a second time; the port answers while the warm-up runs."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable, Iterator

import aiohttp
import pytest
from azure.functions.decorators.warmup import WarmUpTrigger
from azure.functions.warmup import WarmUpContext

from devopsbot.bootstrap import Container
from devopsbot.local.host import LocalHost, registered_functions
from devopsbot.warmup import DEFAULT_STEPS, WarmUp, process_warm_up, reset_warm_up
from tests.functions.conftest import built_function, request, teams_message
from tests.support.connector import ConnectorDouble
from tests.support.processes import free_port


@pytest.fixture(autouse=True)
def fresh_warm_up() -> Iterator[None]:
    reset_warm_up(None)
    yield
    reset_warm_up(None)


class Gate:
    """A warm-up step that holds the warm-up until the test opens it (never a sleep)."""

    def __init__(self) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()

    def __call__(self) -> None:
        self.entered.set()
        assert self.opened.wait(30), "the test never opened the gate"

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 30), "the warm-up never started"


async def declare() -> dict[str, object]:
    response = await built_function("messages")(request("POST", "messages", teams_message("declare Checkout failing")))
    assert response.status_code == 200
    body: dict[str, object] = json.loads(response.get_body())
    return body


def test_the_warmup_trigger_is_registered_under_the_name_the_host_looks_for() -> None:
    from function_app import app

    [warmup] = [f for f in registered_functions(app) if isinstance(f.get_trigger(), WarmUpTrigger)]
    assert warmup.get_function_name() == "warmup"
    assert warmup.get_trigger().get_dict_repr()["type"] == "warmupTrigger"


async def test_the_warmup_trigger_builds_the_bot_once_and_the_first_message_builds_nothing_again(
        installed: Container) -> None:
    warmup = built_function("warmup")
    await warmup(WarmUpContext())
    bot, adapter = installed.__dict__.get("bot"), installed.__dict__.get("bot_adapter")
    assert bot is not None and adapter is not None and "teams_notifier" in installed.__dict__
    await warmup(WarmUpContext())  # idempotent: nothing is built again
    assert process_warm_up().runs == 1

    modules = set(sys.modules)
    answer = await declare()
    assert answer["activities"], "the first declaration was answered"
    assert set(sys.modules) - modules == set(), "the first request imported nothing"
    assert installed.bot is bot and installed.bot_adapter is adapter
    assert process_warm_up().runs == 1


async def test_a_first_request_during_the_warm_up_waits_for_it_and_nothing_is_built_twice(
        installed: Container) -> None:
    gate, built_before = Gate(), []

    def build() -> None:
        built_before.append("bot" in installed.__dict__)
        for step in DEFAULT_STEPS:
            step()

    reset_warm_up(WarmUp(steps=(gate, build)))
    thread = process_warm_up().start_background()
    await gate.wait_entered()
    first = asyncio.create_task(declare())
    done, _ = await asyncio.wait({first}, timeout=0.5)
    assert not done, "the first request waits for the warm-up in flight"
    gate.opened.set()
    answer = await first
    await asyncio.to_thread(thread.join, 30)
    assert answer["activities"]
    assert built_before == [False], "the warm-up built the bot, once; the request did not build its own"
    assert process_warm_up().runs == 1


async def _live(port: int) -> tuple[int, object]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/health/live") as r:
        return r.status, await r.json()


async def _with_host(settings: dict[str, str], check: Callable[[LocalHost, int], object]) -> None:
    from function_app import app

    port = free_port()
    host = LocalHost(app, port=port, settings=settings)
    await host.start()
    try:
        result = check(host, port)
        if asyncio.iscoroutine(result):
            await result
    finally:
        await host.stop()


async def test_the_local_host_answers_on_its_port_while_the_background_warm_up_is_still_running(
        installed: Container, connector: ConnectorDouble) -> None:
    gate = Gate()
    reset_warm_up(WarmUp(steps=(gate, *DEFAULT_STEPS)))

    async def check(host: LocalHost, port: int) -> None:
        try:
            await gate.wait_entered()
            assert await _live(port) == (200, {"status": "live"})
            assert not process_warm_up().warm
        finally:
            gate.opened.set()
        await asyncio.gather(*host.warm_tasks)
        assert process_warm_up().warm and "bot" in installed.__dict__

    await _with_host({}, check)


async def test_with_the_background_warm_up_off_the_local_host_builds_nothing_before_the_first_request(
        installed: Container, connector: ConnectorDouble) -> None:
    async def check(host: LocalHost, port: int) -> None:
        assert host.warm_tasks == []
        assert await _live(port) == (200, {"status": "live"})
        assert process_warm_up().runs == 0 and "bot" not in installed.__dict__

    await _with_host({"DEVOPSBOT_BACKGROUND_WARMUP": "false"}, check)
