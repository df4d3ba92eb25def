"""Alerts by hand at the CLI against Azurite: a payload file through the same path as the endpoints, and the
list of recent signals with what became of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.functions.alerts_support import FIXTURES
from tests.integration.test_cli import cli, env  # noqa: F401 - env is a fixture used by name

pytestmark = pytest.mark.azurite


def test_a_payload_file_is_ingested_once_and_listed_with_its_outcome(env: dict[str, str]) -> None:  # noqa: F811
    fired, resolved = FIXTURES / "azure-monitor-metric-fired.json", FIXTURES / "azure-monitor-metric-resolved.json"
    first = cli(env, "alert", "ingest", str(fired), "--source", "azure-monitor")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("firing    declared INC-") and "(rule page-the-service)" in first.stdout
    incident_id = first.stdout.split()[2]
    again = cli(env, "alert", "ingest", str(fired), "--source", "azure-monitor")
    assert again.stdout.strip() == f"firing    declared {incident_id} (rule page-the-service) (repeat, 2 deliveries)"
    hint = cli(env, "alert", "ingest", str(resolved), "--source", "azure-monitor")
    assert hint.stdout.strip() == f"resolved  resolved: hint sent to {incident_id}"
    listed = cli(env, "alert", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["state"], r["deliveries"], r["incident"]) for r in rows] == [
        ("firing", 2, incident_id), ("resolved", 1, incident_id)]
    text = cli(env, "alert", "list", "--since", "2000-01-01")
    assert "checkout-api-5xx on checkout-api" in text.stdout and "x2" in text.stdout


def test_a_malformed_or_missing_file_is_one_line_and_stores_nothing(env: dict[str, str],  # noqa: F811
                                                                   tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schemaId": "azureMonitorCommonAlertSchema", "data": {}}', encoding="utf-8")
    refused = cli(env, "alert", "ingest", str(bad), "--source", "azure-monitor")
    assert refused.returncode == 4
    assert refused.stderr.startswith("devopsbot: error: not a azure-monitor alert payload: data.essentials")
    missing = cli(env, "alert", "ingest", str(tmp_path / "nope.json"), "--source", "grafana")
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
    assert cli(env, "alert", "list").stdout.strip() == "No alerts in that period."
