"""The declaration form as the adaptivecards npm library (the reference renderer) reads it: no warnings."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from incident.policy import OrganisationPolicy
from tests.conftest import ROOT
from tests.unit.test_declaration_form import card

CHECK = ROOT / "tests" / "support" / "adaptivecards_check.cjs"
NO_LIBRARY = 3


def warnings(cards: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: `make setup` installs it with the local stack")
    done = subprocess.run([node, str(CHECK)], input=json.dumps(cards), capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    if done.returncode == NO_LIBRARY:
        pytest.skip(done.stderr.strip())  # package.json lists it: `npm ci` (make setup) installs it
    assert done.returncode == 0, done.stderr
    found: dict[str, list[str]] = json.loads(done.stdout)
    return found


def test_the_form_parses_and_validates_without_a_warning(policy: OrganisationPolicy) -> None:
    forms = {"fresh": card(policy), "with errors": card(policy, errors={"title": "x", "services": "y"},
                                                        notice="Please correct the fields marked below."),
             "french": card(policy, language="fr")}
    assert warnings(forms) == {name: [] for name in forms}
