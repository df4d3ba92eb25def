"""The warm-up routine: at most one successful run per process whoever asks (threads, the loop), a failed run
retried by the next caller, and the background start only where the Functions worker imports the app."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import types
from collections.abc import Iterator

import pytest

from devopsbot.settings import ROOT
from devopsbot.warmup import (
    WarmUp,
    process_warm_up,
    reset_warm_up,
    warm_in_background_under_functions_host,
)
from devopsbot.warmup_settings import background_enabled


@pytest.fixture(autouse=True)
def fresh_warm_up() -> Iterator[None]:
    reset_warm_up(None)
    yield
    reset_warm_up(None)


class Counted:
    def __init__(self, gate: threading.Event | None = None, fail: int = 0) -> None:
        self.calls, self._gate, self._fail = 0, gate, fail

    def __call__(self) -> None:
        self.calls += 1
        if self._gate is not None:
            assert self._gate.wait(30)
        if self.calls <= self._fail:
            raise RuntimeError("storage said no")


async def test_threads_and_a_request_asking_at_once_share_one_run() -> None:
    opened = threading.Event()
    step = Counted(opened)
    warm_up = WarmUp(steps=(step,))
    threads = [threading.Thread(target=warm_up.run) for _ in range(4)]
    for thread in threads:
        thread.start()
    request = asyncio.create_task(warm_up.ensure())
    await asyncio.sleep(0)
    opened.set()
    await request
    for thread in threads:
        thread.join(30)
    assert step.calls == 1 and warm_up.runs == 1 and warm_up.warm
    await warm_up.ensure()
    assert warm_up.run() is True and step.calls == 1


async def test_a_failed_warm_up_is_tried_again_by_the_next_caller_and_never_fails_a_request(
        caplog: pytest.LogCaptureFixture) -> None:
    step = Counted(fail=1)
    warm_up = WarmUp(steps=(step,))
    assert warm_up.run() is False and not warm_up.warm
    assert "warm-up failed (the next request builds what it needs): RuntimeError: storage said no" in caplog.text
    await warm_up.ensure()  # the request goes on to meet any error on its own path
    assert step.calls == 2 and warm_up.warm


@pytest.mark.parametrize(("value", "enabled"), [("", True), ("true", True), ("TRUE", True), ("false", False),
                                                ("False", False), ("flase", True)])
def test_the_background_setting_is_true_or_false_and_a_typo_keeps_the_default(
        value: str, enabled: bool, caplog: pytest.LogCaptureFixture) -> None:
    assert background_enabled({"DEVOPSBOT_BACKGROUND_WARMUP": value}) is enabled
    assert ("is neither true nor false" in caplog.text) is (value == "flase")


def test_the_background_warm_up_starts_only_under_the_functions_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    step = Counted()
    reset_warm_up(WarmUp(steps=(step,)))
    assert warm_in_background_under_functions_host({}) is None  # tests and tools import function_app too
    monkeypatch.setitem(sys.modules, "azure_functions_worker", types.ModuleType("azure_functions_worker"))
    assert warm_in_background_under_functions_host({"DEVOPSBOT_BACKGROUND_WARMUP": "false"}) is None
    thread = warm_in_background_under_functions_host({})
    assert thread is not None
    thread.join(30)
    assert step.calls == 1 and process_warm_up().warm


def test_importing_function_app_under_the_functions_worker_starts_the_warm_up() -> None:
    script = ("import json, sys, threading, types; "
              "sys.modules['azure_functions_worker'] = types.ModuleType('azure_functions_worker'); "
              "import function_app; from devopsbot.warmup import process_warm_up; "
              "[t.join(60) for t in threading.enumerate() if t.name == 'devopsbot-warm-up']; "
              "print(json.dumps(process_warm_up().runs))")
    # No settings at all: the warm-up runs and fails (logged), the import itself is not delayed or broken.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env=environment)
    assert json.loads(result.stdout) == 1
