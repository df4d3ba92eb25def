"""End-to-end fixtures: the real local Functions host on Azurite, and the Agents Playground before it."""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devopsbot.settings import ROOT
from tests.conftest import unique_prefix
from tests.support.playground import Playground
from tests.support.processes import Service, free_port


def health_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def local_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m devopsbot serve` as a real process; yields the bot endpoint URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    env.update({"DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()})
    service = Service("local Functions host", [sys.executable, "-m", "devopsbot", "serve", "--port", str(port)],
                      tmp_path_factory.mktemp("host") / "host.log", env=env)
    try:
        service.wait_until(lambda: health_ok(port))
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        service.stop()


@pytest.fixture
async def playground(local_host: str, tmp_path: Path) -> AsyncIterator[Playground]:
    config = (ROOT / "config" / "playground.yml").read_text(encoding="utf-8")
    async with Playground(ROOT, local_host, tmp_path / "playground", config) as started:
        yield started
