"""Log lines that correlate: every line written during a Teams turn or a timer tick carries the operation id,
and the incident id when the work is about one, and never the text of a private incident."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container, configure_logging
from incident import commands
from services.timers import run_tick
from tests.conftest import ALICE
from tests.functions.conftest import built_function, request, teams_message

OURS = ("services.", "bot.", "functions.", "adapters.", "devopsbot.")
SECRET_TITLE = "Payroll export leaks salaries"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def ours(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name.startswith(OURS)]


@pytest.fixture
def lines() -> Iterator[Lines]:
    """A handler on the root logger, correlated as configure_logging correlates the host's handlers."""
    root = logging.getLogger()
    handler, level = Lines(), root.level
    root.addHandler(handler)
    configure_logging("INFO")
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


async def test_every_line_of_a_tick_carries_its_operation_and_the_incident_of_each_item(
        installed: Container, clock: FixedClock, lines: Lines) -> None:
    incident = await installed.bus.handle(commands.DeclareIncident(
        title=SECRET_TITLE, incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",), private=True))
    await installed.bus.drain()
    lines.records.clear()  # no Teams team is known in this app: the tick's items fail and log their retries
    clock.at += timedelta(minutes=30)
    await run_tick(installed.bus, clock.at)
    ours = lines.ours()
    assert any("devopsbot heartbeat" in r.getMessage() for r in ours)
    operations = {getattr(r, "operation_id", "") for r in ours}
    assert len(operations) == 1 and "" not in operations  # one tick, one operation, on every line
    [operation] = operations
    about = [r for r in ours if incident.id in r.getMessage()]
    assert about and all(getattr(r, "incident_id", "") == incident.id for r in about)
    assert all(r.getMessage().startswith(f"[op {operation}") for r in ours)
    assert not [r for r in lines.records if SECRET_TITLE in r.getMessage()]


async def test_a_line_of_a_teams_turn_carries_the_turns_operation(installed: Container, lines: Lines,
                                                                  connector: Any) -> None:
    activity = teams_message("help", activity_id="act-repeated")
    for _ in range(2):  # Teams' retry of the same activity: the second is ignored, with a line saying so
        await built_function("messages")(request("POST", "messages", activity))
    [ignored] = [r for r in lines.ours() if "ignored a repeated delivery" in r.getMessage()]
    assert getattr(ignored, "operation_id", "") and ignored.getMessage().startswith("[op ")
