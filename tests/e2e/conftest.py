"""End-to-end fixtures: the real local Functions host on Azurite, and the Agents Playground before it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devopsbot.settings import ROOT
from tests.conftest import unique_prefix
from tests.support.playground import Playground
from tests.support.processes import devopsbot_host


@pytest.fixture(scope="module")
def local_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m devopsbot serve` as a real process; yields the bot endpoint URL."""
    with devopsbot_host(tmp_path_factory.mktemp("host"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}) as host:
        yield f"http://127.0.0.1:{host.port}/api/messages"


@pytest.fixture
async def playground(local_host: str, tmp_path: Path) -> AsyncIterator[Playground]:
    config = (ROOT / "config" / "playground.yml").read_text(encoding="utf-8")
    async with Playground(ROOT, local_host, tmp_path / "playground", config) as started:
        yield started
