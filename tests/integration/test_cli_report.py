"""`python -m devopsbot report` against Azurite: the JSON contract, the Markdown tables, bad dates."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident.lifecycle import Status
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, unique_prefix


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devopsbot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def seed(connection_string: str, prefix: str, policy: OrganisationPolicy) -> None:
    """Three incidents stored as the handlers would store them, at known instants (UTC)."""
    container = Container(Settings(storage_connection_string=connection_string, table_prefix=prefix),
                          policy=policy, notifier=RecordingNotifier())
    # X: SEV2 outage, Tue 6 Oct 09:00; ack 09:05 (5 min); monitoring 09:20 (20 min); resolved 10:00 (60 min),
    #    which opens its postmortem (SEV2 requires one): owed, not completed.
    x = Incident.declare(incident_id="INC-2026-0001", title="Checkout failing", summary="", incident_type="outage",
                         severity="SEV2", declared_by=ALICE, at=at(10, 6, 9), policy=policy, services=["checkout"])
    x.acknowledge(actor=BOB, at=at(10, 6, 9, 5))
    x.transition(Status.MONITORING, actor=BOB, at=at(10, 6, 9, 20), policy=policy)
    x.resolve(actor=BOB, at=at(10, 6, 10), policy=policy, resolution="rolled back", override_reason="test data")
    # Y: SEV3 degradation, Wed 14 Oct 12:00; ack 12:30 (30 min); still active.
    y = Incident.declare(incident_id="INC-2026-0002", title="Slow search", summary="", incident_type="degradation",
                         severity="SEV3", declared_by=ALICE, at=at(10, 14, 12), policy=policy, services=["payments"])
    y.acknowledge(actor=BOB, at=at(10, 14, 12, 30))
    # Z: declared on 30 September, before the period.
    z = Incident.declare(incident_id="INC-2026-0003", title="Earlier", summary="", incident_type="outage",
                         severity="SEV1", declared_by=ALICE, at=at(9, 30, 23), policy=policy)
    try:
        for incident in (x, y, z):
            await container.dependencies.incidents.add(incident)
    finally:
        await container.aclose()


@pytest.fixture
def env(azurite: str, policy: OrganisationPolicy) -> dict[str, str]:
    prefix = unique_prefix()
    asyncio.run(seed(azurite, prefix, policy))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": prefix}


@pytest.mark.azurite
def test_the_json_report_gives_the_figures_of_the_period(env: dict[str, str]) -> None:
    result = cli(env, "report", "--since", "2026-10-01", "--until", "2026-10-19", "--format", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["schema"] == "devopsbot.report/1"
    assert body["period"] == {"since": "2026-10-01T00:00:00Z", "until": "2026-10-19T00:00:00Z"}
    assert body["incidents"] == {"total": 2, "by_severity": {"SEV2": 1, "SEV3": 1},
                                 "by_type": {"degradation": 1, "outage": 1},
                                 "by_service": {"checkout": 1, "payments": 1},
                                 "by_status": {"declared": 1, "resolved": 1}}
    # Acknowledged after 5 and 30 min: mean = median = 17.5 min = 1050 s.
    assert body["time_to_acknowledge"] == {"count": 2, "mean_seconds": 1050.0, "median_seconds": 1050.0}
    # Only X is mitigated (monitoring after 20 min = 1200 s) and resolved (60 min = 3600 s).
    assert body["time_to_mitigate"] == {"count": 1, "mean_seconds": 1200.0, "median_seconds": 1200.0}
    assert body["time_to_resolve"] == {"count": 1, "mean_seconds": 3600.0, "median_seconds": 3600.0}
    assert body["postmortems"] == {"completed": 0, "owed": 1, "rate": 0.0}
    assert body["follow_ups"] == {"done": 0, "total": 0, "rate": None, "overdue": []}
    # 1 Oct is a Thursday of W40; 18 Oct, the last day, a Sunday of W42.
    assert [(w["week"], w["starts"], w["declared"], w["resolved"], w["median_time_to_resolve_seconds"])
            for w in body["weeks"]] == [("2026-W40", "2026-09-28", 0, 0, None),
                                        ("2026-W41", "2026-10-05", 1, 1, 3600.0),
                                        ("2026-W42", "2026-10-12", 1, 0, None)]


@pytest.mark.azurite
def test_the_markdown_report_is_the_default(env: dict[str, str]) -> None:
    result = cli(env, "report", "--since", "2026-10-01", "--until", "2026-10-19")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Incident report, 2026-10-01 00:00 to 2026-10-19 00:00 UTC")
    assert "**2** incidents declared." in result.stdout
    assert "| time to acknowledge | 2 | 17 min 30 s | 17 min 30 s |" in result.stdout
    assert "| time to resolve | 1 | 1 h 00 min | 1 h 00 min |" in result.stdout
    assert "- Postmortems completed: 0% (0 of 1)" in result.stdout
    assert "| 2026-W41 | 2026-10-05 | 1 | 1 | 1 h 00 min |" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "2026-13-01"], "--since: '2026-13-01' is not a date like 2026-10-01"),
    (["--since", "last week"], "--since: 'last week' is not a date like 2026-10-01"),
    (["--since", "2026-10-01", "--until", "2026-10-32"], "--until: '2026-10-32' is not a date"),
    (["--since", "2026-10-05", "--until", "2026-10-01"],
     "--until (2026-10-01T00:00:00Z) must come after --since (2026-10-05T00:00:00Z)"),
])
def test_a_bad_period_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    result = cli(clean, "report", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"devopsbot: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
