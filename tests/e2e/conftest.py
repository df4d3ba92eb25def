"""End-to-end fixtures: the real local Functions host on Azurite, and the Agents Playground before it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devopsbot.settings import ROOT
from tests.conftest import unique_prefix
from tests.support.playground import Playground
from tests.support.processes import Service, devopsbot_host


@pytest.fixture
def host_service(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`python -m devopsbot serve` as a real process, its output in its log file; one per test, so work left
    over from one test (reactions, proactive messages to its Playground) cannot show in the next one's log."""
    with devopsbot_host(tmp_path_factory.mktemp("host"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}) as host:
        yield host


@pytest.fixture
def local_host(host_service: Service) -> str:
    """The bot endpoint URL of the local host."""
    return f"http://127.0.0.1:{host_service.port}/api/messages"


@pytest.fixture
async def playground(local_host: str, host_service: Service, tmp_path: Path) -> AsyncIterator[Playground]:
    """The Agents Playground before the local host. After each test: no message of the bot was refused
    (Teams validates what the bot sends the same way) and no traceback reached the host's log."""
    config = (ROOT / "config" / "playground.yml").read_text(encoding="utf-8")
    start = host_service.log.stat().st_size if host_service.log.exists() else 0
    async with Playground(ROOT, local_host, tmp_path / "playground", config) as started:
        yield started
        refused = [log.get("displayText") for log in started.logs if log.get("level") == "error"]
    host_service.tail(0)  # flushes the log
    with host_service.log.open("rb") as log:
        log.seek(start)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written, f"the host logged a traceback:\n{written[-4000:]}"
    assert "BadArgument" not in written, f"Teams refused a message of the bot:\n{written[-4000:]}"
    assert refused == [], f"the Playground logged errors: {refused}"
