"""``python -m devopsbot ahp`` and ``risk`` as an organisation runs them: JSON with stable keys on
standard output; invalid input exits 2 with one line on standard error and nothing on standard output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devopsbot.settings import ROOT
from tests.support.ahp_examples import (
    CITIES,
    CITIES_PUBLISHED,
    CITY_CRITERIA,
    CITY_JUDGMENTS,
    DRINKS,
    DRINKS_MATRIX,
    DRINKS_PUBLISHED,
)

FIGURES = {"priorities", "lambda_max", "ci", "cr", "consistent", "random_index"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    # Settings are validated as for every command; no storage is contacted by these two.
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devopsbot", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


def ahp(env: dict[str, str], document: Any) -> dict[str, Any]:
    result = run(env, "ahp", "-", stdin=json.dumps(document))
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def test_one_matrix_from_a_file_gives_priorities_and_consistency(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "drinks.json"
    path.write_text(json.dumps({"labels": list(DRINKS), "matrix": DRINKS_MATRIX}))
    result = run(env, "ahp", str(path))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert set(output) == FIGURES
    assert output["priorities"] == pytest.approx(DRINKS_PUBLISHED, abs=1e-4)
    assert list(output["priorities"]) == list(DRINKS)
    assert output["random_index"] == 1.32 and output["consistent"] is True
    assert output["ci"] == pytest.approx(0.0235 * 1.2519, abs=1e-4)


@pytest.mark.parametrize("method", ["aij", "aip"])
def test_a_group_reports_the_method_and_each_assessor(env: dict[str, str], method: str) -> None:
    output = ahp(env, {"labels": ["a", "b"], "method": method, "assessors": [
        {"name": "Ann", "weight": 1, "matrix": [[1, 3], ["1/3", 1]]},
        {"name": "Bob", "weight": 1, "matrix": [[1, 5], [0.2, 1]]}]})
    assert set(output) == FIGURES | {"method", "assessors"}
    assert output["method"] == method
    assert output["priorities"]["a"] / output["priorities"]["b"] == pytest.approx(15 ** 0.5)
    assert [(a["name"], set(a)) for a in output["assessors"]] == [
        ("Ann", {"name", "priorities", "cr", "consistent"}), ("Bob", {"name", "priorities", "cr", "consistent"})]
    assert output["assessors"][0]["priorities"] == pytest.approx({"a": 0.75, "b": 0.25})


def test_a_tree_gives_global_priorities_and_each_nodes_figures(env: dict[str, str]) -> None:
    tree = {"name": "Goal", "labels": CITY_CRITERIA, "matrix": CITY_JUDGMENTS["Goal"],
            "children": [{"name": c, "labels": CITIES, "matrix": CITY_JUDGMENTS[c]} for c in CITY_CRITERIA]}
    output = ahp(env, {"tree": tree})
    assert set(output) == FIGURES | {"global_priorities", "nodes"}
    assert output["global_priorities"] == pytest.approx(CITIES_PUBLISHED, abs=1e-4)
    assert set(output["nodes"]) == {"Goal", *CITY_CRITERIA}
    assert set(output["nodes"]["Jobs"]) == FIGURES
    assert output["priorities"] == output["nodes"]["Goal"]["priorities"]


@pytest.mark.parametrize(("document", "message"), [
    ('{"labels": ["a", "b"], "matrix": [[1, 3], [0.33, 1]]}', "matrix (1, 2): 3 and (2, 1) 0.33 are not reciprocal"),
    ('{"labels": ["a", "b"], "matrix": [[1, 3], ["a third", 1]]}', "matrix (2, 1): 'a third' is not a number"),
    ('{"labels": ["a", "b"], "matrix": [[1, true], [1, 1]]}', "matrix (1, 2): True is not a number"),
    ('{"labels": ["a", "b"], "matrix": [[1, NaN], [1, 1]]}', "matrix (1, 2): NaN is not a judgment"),
    ('{"labels": ["a", "b"], "matrix": [[1, 2], [0.5]]}', "matrix: row 2 has 1 entries"),
    ('{"labels": ["a", "b"], "matrix": [[1, 2], [0.5, 1]], "colour": 1}', "input: unknown key colour"),
    ('{"labels": ["a", "b"]}', "input: missing matrix"),
    ('{"labels": ["a", "b"], "assessors": [{"name": "Ann", "weight": 1, "matrix": [[1, 2], [0.5, 1]]}, '
     '{"name": "Bob", "matrix": [[1, 2], [0.5, 1]]}]}', "assessors: give a weight for every assessor or for none"),
    ('{"labels": ["a", "b"], "assessors": [{"name": "Ann", "matrix": [[1, 12], [0.5, 1]]}]}',
     "assessor 'Ann' matrix (1, 2): 12 is outside Saaty's scale"),
    ('{"labels": ["a", "b"], "method": "mean", "assessors": [{"name": "A", "matrix": [[1, 2], [0.5, 1]]}]}',
     "method: 'mean' is not aij or aip"),
    ('{"tree": {"name": "G", "labels": ["a", "b"], "matrix": [[1, 2], [0.5, 1]], "children": '
     '[{"name": "c", "labels": ["x", "y"], "matrix": [[1, 2], [0.5, 2]]}]}}', "node 'c' matrix (2, 2): the diagonal"),
    ("{not json", "<stdin>: not valid JSON"),
])
def test_invalid_input_exits_2_with_one_line_naming_the_problem(env: dict[str, str], document: str,
                                                                message: str) -> None:
    result = run(env, "ahp", "-", stdin=document)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_a_missing_file_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "ahp", str(tmp_path / "nowhere.json"))
    assert (result.returncode, result.stdout) == (2, "")
    assert "nowhere.json: file not found" in result.stderr


# -- risk --------------------------------------------------------------------------------------

def risk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, "risk", *args)


def test_the_configured_matrix_gives_level_score_and_severity(env: dict[str, str]) -> None:
    result = risk(env, "--likelihood", "Likely", "--impact", "Major")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"likelihood": "Likely", "impact": "Major", "level": "High", "score": 16,
                                         "severity": "SEV2"}


def test_levels_may_be_given_as_ranks(env: dict[str, str]) -> None:
    result = risk(env, "--likelihood", "5", "--impact", "5")
    assert json.loads(result.stdout)["level"] == "Critical"


def test_the_organisation_files_own_matrix_is_used(env: dict[str, str], tmp_path: Path) -> None:
    text = (ROOT / "config" / "organisation.toml").read_text().replace('{ level = "Medium", max = 9 }',
                                                                         '{ level = "Medium", max = 12 }')
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    result = risk({**env, "DEVOPSBOT_ORGANISATION_FILE": str(path)}, "--likelihood", "3", "--impact", "4")
    assert json.loads(result.stdout)["level"] == "Medium"


def test_a_matrix_file_with_cells_gives_the_level_without_a_score(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps({"likelihood": ["Low", "High"], "impact": {"Small": 1, "Big": 3},
                                "cells": {"Low": {"Small": "Green", "Big": "Amber"},
                                          "High": {"Small": "Amber", "Big": "Red"}}}))
    result = risk(env, "--likelihood", "high", "--impact", "Big", "--matrix", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"likelihood": "High", "impact": "Big", "level": "Red"}


def test_a_matrix_file_with_bands_and_severities(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps({"likelihood": ["Low", "High"], "impact": ["Low", "High"],
                                "bands": [{"level": "Minor", "max": 2}, {"level": "Major", "max": 4}],
                                "severity": {"Minor": "SEV3", "Major": "SEV1"}}))
    result = risk(env, "--likelihood", "2", "--impact", "2", "--matrix", str(path))
    assert json.loads(result.stdout) == {"likelihood": "High", "impact": "High", "level": "Major", "score": 4,
                                         "severity": "SEV1"}


@pytest.mark.parametrize(("matrix", "args", "message"), [
    (None, ("--likelihood", "Sometimes", "--impact", "Major"),
     "--likelihood: unknown likelihood 'Sometimes' (valid: Rare, Unlikely, Possible, Likely, Almost certain; "
     "or a rank 1-5)"),
    (None, ("--likelihood", "1", "--impact", "0"), "unknown impact '0'"),
    ({"likelihood": ["Low", "High"], "impact": ["Low", "High"],
      "cells": {"Low": {"Low": "Green", "High": "Amber"}, "High": {"Low": "Amber"}}},
     ("--likelihood", "1", "--impact", "1"), "cells.High: no risk level for impact High"),
    ({"likelihood": ["Low", "High"], "impact": ["Low", "High"], "bands": [{"level": "Minor", "max": 3}]},
     ("--likelihood", "1", "--impact", "1"), "bands: the score 4 (High × High) is above the last band's max 3"),
    ({"likelihood": ["Low", "High"], "impact": ["Low", "High"], "bands": [{"level": "Minor", "max": 4}],
      "severity": {"Major": "SEV1"}}, ("--likelihood", "1", "--impact", "1"), "severity.Major: 'Major' is not a "
                                                                              "risk level of this matrix"),
])
def test_unknown_levels_and_uncovered_matrices_exit_2(env: dict[str, str], tmp_path: Path,
                                                      matrix: dict[str, Any] | None, args: tuple[str, ...],
                                                      message: str) -> None:
    extra: tuple[str, ...] = ()
    if matrix is not None:
        path = tmp_path / "matrix.json"
        path.write_text(json.dumps(matrix))
        extra = ("--matrix", str(path))
    result = risk(env, *args, *extra)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_check_refuses_inconsistent_leadership_judgments_naming_the_ratio_and_the_pair(
        env: dict[str, str], tmp_path: Path) -> None:
    text = (ROOT / "config" / "organisation.toml").read_text()
    first, third = ("[1,                2,        3,       3,          5],    # customer_impact",
                    '["1/3",            "1/2",    1,       1,          3],    # revenue')
    assert first in text and third in text
    path = tmp_path / "organisation.toml"
    path.write_text(text.replace(first, '[1, 2, "1/5", 3, 5],').replace(third, '[5, "1/2", 1, 1, 3],'))
    result = run({**env, "DEVOPSBOT_ORGANISATION_FILE": str(path)}, "check")
    assert (result.returncode, result.stdout) == (2, "")
    assert "priority.judgments (1, 3): inconsistent: consistency ratio 0." in result.stderr
    assert "customer_impact vs revenue, judged 1/5" in result.stderr
