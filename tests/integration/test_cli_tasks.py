"""Tasks and follow-ups by hand: ``incident task``, ``incident task-done`` and ``postmortem followup`` on a
resolved incident without a postmortem (Azurite)."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import unique_prefix
from tests.integration.test_cli import cli

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(azurite: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}


def declared_sev4(env: dict[str, str]) -> str:
    declared = cli(env, "incident", "--as", "Alice Martin <29:alice>", "--json", "declare", "--title",
                   "Search is slow", "--type", "outage", "--severity", "SEV4")
    assert declared.returncode == 0, declared.stderr
    return str(json.loads(declared.stdout)["id"])


def test_a_sev4_carries_a_task_and_a_follow_up_from_the_cli(env: dict[str, str]) -> None:
    incident_id = declared_sev4(env)
    added = cli(env, "incident", "--json", "task", incident_id, "Roll", "back", "release", "42", "--owner",
                "ana@contoso.example", "--due", "in 2h")
    assert added.returncode == 0, added.stderr
    [task] = json.loads(added.stdout)["tasks"]
    assert (task["number"], task["text"], task["owner"], task["open"]) == (
        1, "Roll back release 42", "ana@contoso.example", True)
    assert task["due"] is not None
    done = cli(env, "incident", "--json", "task-done", incident_id, "1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tasks"][0]["done"] is True
    resolved = cli(env, "incident", "resolve", incident_id, "--resolution", "Index rebuilt",
                   "--override", "Customers were not affected")
    assert resolved.returncode == 0, resolved.stderr
    follow_up = cli(env, "postmortem", "--json", "followup", incident_id, "--title", "Alert on slow search",
                    "--owner", "Bob Durand <29:bob>")
    assert follow_up.returncode == 0, follow_up.stderr
    shown = json.loads(follow_up.stdout)
    assert (shown["status"], shown["postmortem"]) == ("resolved", None)
    assert [f["title"] for f in shown["follow_ups"]] == ["Alert on slow search"]


def test_a_bad_due_time_is_one_line_on_stderr_and_adds_nothing(env: dict[str, str]) -> None:
    incident_id = declared_sev4(env)
    refused = cli(env, "incident", "task", incident_id, "Scale", "out", "--due", "whenever")
    assert refused.returncode != 0
    assert "is not a time" in refused.stderr and len(refused.stderr.splitlines()) == 1
    shown = json.loads(cli(env, "incident", "--json", "show", incident_id).stdout)
    assert shown["tasks"] == []
