"""The CLI's ``--as`` acts with exactly that person's rights: an outsider is refused on a security incident
with the exit code of a refusal and one line; without ``--as`` the operator keeps full authority."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_cli import cli, env  # noqa: F401 - env is the fixture these tests use

pytestmark = pytest.mark.azurite

MALLORY = "Mallory Outsider <29:mallory>"
TITLE = "Ransomware on file server"


def security_incident(environment: dict[str, str]) -> str:
    declared = cli(environment, "incident", "--as", "Alice Martin <29:alice>", "--json", "declare", "--title", TITLE,
                   "--type", "security", "--severity", "SEV1", "--private")
    assert declared.returncode == 0, declared.stderr
    return str(json.loads(declared.stdout)["id"])


@pytest.mark.parametrize("step", [
    ["ack", "{id}"],
    ["update", "{id}", "stand", "down"],
    ["plan", "{id}", "1"],
    ["assign", "{id}", "deputy", MALLORY],
    ["resolve", "{id}", "--resolution", "nothing to see", "--override", "trust me"],
    ["show", "{id}"],
])
def test_an_outsider_acting_with_as_is_refused_with_an_exit_code(env: dict[str, str],  # noqa: F811
                                                                 step: list[str]) -> None:
    incident_id = security_incident(env)
    result = cli(env, "incident", "--as", MALLORY, *[part.format(id=incident_id) for part in step])
    assert result.returncode == 4, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("devopsbot: error: only ") and line.endswith(f"{incident_id}.")
    assert TITLE not in result.stdout + result.stderr
    shown = cli(env, "incident", "show", incident_id).stdout  # the operator, without --as, sees it all
    assert "acknowledged" not in shown and "update_posted" not in shown and "status declared" in shown
    assert "deputy" not in shown and "plan_step_done" not in shown


def test_the_people_of_a_security_incident_act_with_as(env: dict[str, str]) -> None:  # noqa: F811
    incident_id = security_incident(env)
    result = cli(env, "incident", "--as", "Alice Martin <29:alice>", "update", incident_id, "isolating", "hosts")
    assert result.returncode == 0, result.stderr
    listed = cli(env, "incident", "--as", MALLORY, "list")
    assert incident_id in listed.stdout and TITLE not in listed.stdout
