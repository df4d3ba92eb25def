"""The optional [playbooks] section of the organisation file: its rules and the approvers per service."""

from __future__ import annotations

from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError

DEFAULT = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
APPROVER = '# checkout = [{ id = "29:chloe", name = "Chloe Nguyen", email = "chloe@contoso.example" }]'


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return load_organisation(path)


def test_approvers_are_read_per_service(tmp_path: Path) -> None:
    policy = load(tmp_path, DEFAULT.replace("approvals_required = 1", "approvals_required = 2")
                  .replace(APPROVER, APPROVER.lstrip("# ")))
    rules = policy.playbooks  # type: ignore[attr-defined]
    assert rules.approvals_required == 2 and rules.max_bytes == 60_000
    assert [p.name for p in rules.approvers_of("checkout")] == ["Chloe Nguyen"]
    assert rules.approvers_of("payments") == ()


def test_approvers_of_an_unknown_service_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"playbooks.approvers: unknown service 'kiosk'"):
        load(tmp_path, DEFAULT.replace(APPROVER, APPROVER.lstrip("# ").replace("checkout", "kiosk")))
