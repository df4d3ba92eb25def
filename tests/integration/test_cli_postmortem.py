"""The postmortem by hand: written, followed up, completed, documented and closed from the CLI (Azurite)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import unique_prefix
from tests.integration.test_cli import cli

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(azurite: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}


def resolved_sev1(env: dict[str, str]) -> str:
    declared = cli(env, "incident", "--as", "Alice Martin <29:alice>", "--json", "declare", "--title",
                   "Checkout failing", "--type", "outage", "--severity", "SEV1")
    assert declared.returncode == 0, declared.stderr
    incident_id = str(json.loads(declared.stdout)["id"])
    resolved = cli(env, "incident", "resolve", incident_id, "--resolution", "Rolled back release 42",
                   "--override", "Customers told by support")
    assert resolved.returncode == 0, resolved.stderr
    return incident_id


def test_a_postmortem_is_written_completed_and_closed_from_the_cli(env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    incident_id = resolved_sev1(env)
    # The CLI refuses a follow-up due in the past by the machine's clock: six weeks from today, any day.
    due = (datetime.now(UTC) + timedelta(weeks=6)).date().isoformat()
    refused = cli(env, "postmortem", "close", incident_id)
    assert refused.returncode == 4
    assert "the postmortem is not completed" in refused.stderr and len(refused.stderr.splitlines()) == 1
    for step in (["edit", incident_id, "--summary", "Release 42 broke card payments", "--impact",
                  "30% of checkouts failed for 2 h", "--went-wrong", "The canary missed card payments",
                  "--went-well", "Rollback took 5 minutes", "--factor", "The canary had no card payments"],
                 ["followup", incident_id, "--title", "Canary covers card payments", "--owner",
                  "Chloe Nguyen <29:chloe>", "--owner-email", "chloe@contoso.example", "--due", due],
                 ["complete", incident_id], ["close", incident_id]):
        result = cli(env, "postmortem", *step)
        assert result.returncode == 0, result.stderr
    shown = json.loads(cli(env, "postmortem", "--json", "show", incident_id).stdout)
    assert shown["status"] == "closed"
    assert shown["postmortem"]["completed"] is True
    assert shown["postmortem"]["contributing_factors"] == ["The canary had no card payments"]
    assert shown["follow_ups"] == [{
        "number": 1, "title": "Canary covers card payments", "owner": "Chloe Nguyen",
        "due": f"{due}T23:59:00+00:00", "link": "", "tracker_url": "", "filed": True, "done": False}]
    written = cli(env, "postmortem", "document", incident_id, "--format", "html", "--output",
                  str(tmp_path / "doc.html"))
    assert written.returncode == 0, written.stderr
    html = (tmp_path / "doc.html").read_text(encoding="utf-8")
    assert "Release 42 broke card payments" in html and "Canary covers card payments" in html


def test_an_operator_may_close_with_an_override_reason(env: dict[str, str]) -> None:
    incident_id = resolved_sev1(env)
    closed = cli(env, "postmortem", "close", incident_id, "--override", "Reviewed in the weekly CAB")
    assert closed.returncode == 0, closed.stderr
    shown = cli(env, "incident", "show", incident_id)
    assert "closed" in shown.stdout
