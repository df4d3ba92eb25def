"""Playbooks at the CLI against Azurite: submit a file, four eyes on approval, coverage and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.test_cli import cli, env  # noqa: F401 - env is a fixture used by name

pytestmark = pytest.mark.azurite

TODAY = datetime.now(UTC).date().isoformat()
PLAYBOOK = f"""# Checkout
Owner: Payments team
Last tested: {TODAY}

## Symptoms
Timeouts.
## Diagnosis
Gateway latency.
## Mitigation
Fail over.
## Rollback
Previous release.
## Verification of recovery
Errors below 1%.
## Contacts
Payments on-call.
"""


def test_a_playbook_is_submitted_approved_by_another_and_covers_its_service(
        env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "checkout.md"
    source.write_text(PLAYBOOK, encoding="utf-8")
    submitted = cli(env, "playbook", "--as", "Alex Author <29:alex>", "submit", "checkout", str(source))
    assert submitted.returncode == 0, submitted.stderr
    assert "Submitted checkout v1" in submitted.stdout
    own = cli(env, "playbook", "--as", "Alex Author <29:alex>", "approve", "checkout", "1")
    assert own.returncode == 4 and "the author of checkout v1 cannot review it" in own.stderr
    approved = cli(env, "playbook", "--as", "Ana Lopez <29:ana>", "approve", "checkout", "1")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("checkout v1  approved   1/1 approvals  owner Payments team")
    coverage = cli(env, "playbook", "coverage")
    assert coverage.returncode == 1 and "checkout" not in coverage.stdout and "payments" in coverage.stdout
    shown = cli(env, "playbook", "show", "checkout")
    assert "## Mitigation\nFail over." in shown.stdout
    submitted_line, approved_line = cli(env, "playbook", "audit", "checkout").stdout.splitlines()
    assert submitted_line.endswith(f"UTC  v1  submitted Alex Author: owner Payments team, last tested {TODAY}")
    assert approved_line.endswith("UTC  v1  approved  Ana Lopez: 1 of 1 approvals")


def test_approving_a_superseded_version_is_refused(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "checkout.md"
    source.write_text(PLAYBOOK, encoding="utf-8")
    for _ in range(2):
        assert cli(env, "playbook", "--as", "Alex <29:alex>", "submit", "checkout", str(source)).returncode == 0
    old = cli(env, "playbook", "--as", "Ana <29:ana>", "approve", "checkout", "1")
    assert old.returncode == 4 and "checkout v1 is superseded by v2" in old.stderr


def test_an_incomplete_or_oversized_file_is_refused_and_nothing_stored(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "checkout.md"
    source.write_text(PLAYBOOK.replace("## Rollback\n", "") + "x" * 61_000, encoding="utf-8")
    refused = cli(env, "playbook", "submit", "checkout", str(source))
    assert refused.returncode == 4
    assert "the limit is 60000" in refused.stderr
    assert "missing sections (as Markdown headings): rollback" in refused.stderr
    assert cli(env, "playbook", "list", "checkout").stdout.strip() == "No playbooks yet."
