"""The CLI runs every step by hand against Azurite, and maps errors to exit codes and one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devopsbot.local.stack import azurite_connection_string
from devopsbot.settings import ROOT
from tests.conftest import unique_prefix
from tests.support.processes import free_port

pytestmark = pytest.mark.azurite


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devopsbot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def env(azurite: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}


def test_an_incident_can_be_run_entirely_from_the_cli(env: dict[str, str]) -> None:
    declared = cli(env, "incident", "--as", "Alice Martin <29:alice>", "--json", "declare", "--title",
                   "Checkout failing", "--type", "outage", "--severity", "SEV2", "--service", "checkout")
    assert declared.returncode == 0, declared.stderr
    incident_id = json.loads(declared.stdout)["id"]
    assert incident_id.startswith("INC-") and incident_id.endswith("-0001")
    for step in (["update", incident_id, "Rolling", "back"], ["ack", incident_id],
                 ["resolve", incident_id, "--resolution", "Rolled back release 42", "--met", "service_restored",
                  "--override", "Monitoring still settling; customers told by support"]):
        result = cli(env, "incident", *step)
        assert result.returncode == 0, result.stderr
    assigned = cli(env, "incident", "assign", incident_id, "communications_lead", "Bob Durand <29:bob>")
    assert assigned.returncode == 0, assigned.stderr
    shown = cli(env, "incident", "show", incident_id)
    assert "status resolved" in shown.stdout
    assert "communications_lead: Bob Durand" in shown.stdout
    assert "Alice Martin: declared" not in shown.stdout and "Alice Martin: SEV2 Checkout failing" in shown.stdout
    for kind in ("declared", "update_posted", "acknowledged", "resolved"):
        assert kind in shown.stdout
    listed = json.loads(cli(env, "incident", "--json", "list").stdout)
    assert [(i["id"], i["status"]) for i in listed] == [(incident_id, "resolved")]


def test_a_security_type_declared_at_the_cli_is_private(env: dict[str, str]) -> None:
    declared = cli(env, "incident", "--as", "Alice Martin <29:alice>", "--json", "declare", "--title",
                   "Ransomware on the file server", "--type", "security", "--severity", "SEV1")
    assert declared.returncode == 0, declared.stderr
    assert json.loads(declared.stdout)["private"] is True


@pytest.mark.parametrize(("args", "code", "message"), [
    (["incident", "declare", "--title", "x", "--type", "outage", "--severity", "SEV9"], 4, "unknown severity 'SEV9'"),
    (["incident", "show", "INC-2026-9999"], 3, "no incident INC-2026-9999"),
    (["incident", "show", "not-an-id"], 4, "is not an incident id"),
])
def test_errors_are_one_line_with_an_exit_code(env: dict[str, str], args: list[str], code: int,
                                               message: str) -> None:
    result = cli(env, *args)
    assert result.returncode == code
    assert result.stderr.strip() == f"devopsbot: error: {result.stderr.strip().split('error: ', 1)[1]}"
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_organisation_file_stops_the_cli_naming_file_field_and_reason(env: dict[str, str],
                                                                                tmp_path: Path) -> None:
    broken = tmp_path / "org.toml"
    broken.write_text((ROOT / "config" / "organisation.toml").read_text().replace(
        "ack_timeout_minutes = 5\n", "ack_timeout_minutes = -5\n"))
    result = cli({**env, "DEVOPSBOT_ORGANISATION_FILE": str(broken)}, "check")
    assert result.returncode == 2
    assert result.stderr.strip() == (f"devopsbot: error: {broken}: severities.SEV1.ack_timeout_minutes: "
                                     "Input should be greater than 0")


def test_check_reports_unreachable_storage(env: dict[str, str]) -> None:
    result = cli({**env, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite_connection_string(free_port())}, "check")
    assert result.returncode == 6
    assert "storage: Table Storage is unreachable" in result.stdout


def test_serve_refuses_to_start_without_storage(env: dict[str, str]) -> None:
    result = cli({**env, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite_connection_string(free_port())},
                 "serve", "--port", str(free_port()))
    assert result.returncode == 6
    assert result.stderr.startswith("devopsbot: error: storage is not reachable: Table Storage is unreachable")


def test_the_timers_command_travels_in_time(env: dict[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    declared = cli(env, "incident", "--json", "declare", "--title", "Checkout failing", "--type", "outage",
                   "--severity", "SEV2", "--service", "checkout")
    incident_id = json.loads(declared.stdout)["id"]
    later = (datetime.now(UTC) + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ticked = cli(env, "timers", "--at", later)
    assert ticked.returncode == 0, ticked.stderr
    assert f"tick at {later}" in ticked.stdout and "1 ack_deadline" in ticked.stdout
    shown = cli(env, "incident", "show", incident_id)
    assert "commander: Duty manager" in shown.stdout  # nobody acknowledged within 15 minutes
    again = cli(env, "timers", "--at", later)
    assert "1 ack_deadline" not in again.stdout  # done once, not twice


def test_the_timers_command_refuses_a_malformed_instant(env: dict[str, str]) -> None:
    result = cli(env, "timers", "--at", "tomorrow-ish")
    assert result.returncode == 4
    assert "is not an ISO 8601 instant" in result.stderr


def test_the_roster_set_at_the_cli_drives_escalation(env: dict[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    set_roster = cli(env, "roster", "set", "checkout", "commander", "Bob Durand <29:bob>", "Chloe Nguyen <29:chloe>")
    assert set_roster.returncode == 0, set_roster.stderr
    assert "checkout  commander            Bob Durand <29:bob> → Chloe Nguyen <29:chloe>" in set_roster.stdout
    assert "Bob Durand <29:bob>" in cli(env, "roster", "show", "checkout").stdout
    declared = cli(env, "incident", "--json", "declare", "--title", "Checkout failing", "--type", "outage",
                   "--severity", "SEV2", "--service", "checkout")
    incident_id = json.loads(declared.stdout)["id"]
    assert json.loads(declared.stdout)["roles"]["commander"] == "Bob Durand"  # the roster's holder, at once
    later = (datetime.now(UTC) + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli(env, "timers", "--at", later)
    assert "commander: Chloe Nguyen" in cli(env, "incident", "show", incident_id).stdout  # Bob did not ack
    unknown = cli(env, "roster", "set", "checkout", "astronaut", "Bob <29:bob>")
    assert unknown.returncode == 4 and "unknown role 'astronaut'" in unknown.stderr
