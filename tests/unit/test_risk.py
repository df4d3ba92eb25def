"""The risk matrix turns likelihood x impact into a risk level and a proposed severity; a matrix that
leaves a cell or a score uncovered is refused; several assessors' ranks combine without groupthink."""

from __future__ import annotations

from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.consensus import AssessorAnswer, aggregate_assessments, aggregate_ranks
from incident.errors import ConfigurationError, InvalidValue
from incident.risk import RiskMatrix, RiskMatrixError, UnknownLevel, default_risk_matrix

DEFAULT = (ROOT / "config" / "organisation.toml").read_text()
LOW_HIGH = {"Low": {"Low": "Green", "High": "Amber"}, "High": {"Low": "Amber", "High": "Red"}}


@pytest.mark.parametrize(("likelihood", "impact", "level", "score", "severity"), [
    ("Rare", "Negligible", "Low", 1, "SEV4"),
    ("Unlikely", "Minor", "Low", 4, "SEV4"),
    ("Possible", "Moderate", "Medium", 9, "SEV3"),
    ("Likely", "Moderate", "High", 12, "SEV2"),
    ("Likely", "Major", "High", 16, "SEV2"),
    ("Almost certain", "Severe", "Critical", 25, "SEV1"),
])
def test_the_default_5x5_matrix_scores_and_proposes_a_severity(likelihood: str, impact: str, level: str,
                                                               score: float, severity: str) -> None:
    found = default_risk_matrix().assess(likelihood, impact)
    assert (found.level, found.score, found.severity) == (level, score, severity)


def test_every_cell_of_the_default_matrix_has_a_level() -> None:
    matrix = default_risk_matrix()
    levels = {matrix.assess(chance, effect).level for chance in range(1, 6) for effect in range(1, 6)}
    assert levels == {"Low", "Medium", "High", "Critical"}


def test_levels_are_found_by_name_in_any_case_or_by_rank() -> None:
    matrix = default_risk_matrix()
    assert matrix.assess("almost CERTAIN", "2") == matrix.assess(5, "Minor")


def test_an_unknown_level_is_refused_listing_the_valid_ones() -> None:
    with pytest.raises(UnknownLevel, match=r"unknown impact 'Catastrophic' \(valid: Negligible, Minor, "
                                           r"Moderate, Major, Severe; or a rank 1-5\)"):
        default_risk_matrix().assess("Likely", "Catastrophic")
    with pytest.raises(UnknownLevel, match="unknown likelihood '6'"):
        default_risk_matrix().assess(6, 1)


def test_fewer_severities_than_levels_map_the_least_severe_levels_to_the_last() -> None:
    matrix = default_risk_matrix(("P1", "P2"))
    assert [matrix.severity[level] for level in ("Critical", "High", "Medium", "Low")] == ["P1", "P2", "P2", "P2"]


def test_explicit_cells_give_the_level_without_a_score() -> None:
    matrix = RiskMatrix.build(["Low", "High"], ["Low", "High"], cells=LOW_HIGH,
                              severity={"Green": "SEV3", "Amber": "SEV2", "Red": "SEV1"})
    found = matrix.assess("High", "Low")
    assert (found.level, found.score, found.severity) == ("Amber", None, "SEV2")


def test_level_values_drive_the_score() -> None:
    matrix = RiskMatrix.build({"Rare": 1, "Often": 10}, {"Small": 1, "Huge": 10},
                              bands=[("Low", 5), ("High", 100)])
    assert (matrix.assess("Often", "Small").score, matrix.assess("Often", "Small").level) == (10, "High")
    assert matrix.assess("Often", "Small").severity is None


@pytest.mark.parametrize(("cells", "field", "reason"), [
    ({"Low": LOW_HIGH["Low"]}, "cells.High", "no cells for likelihood 'High'"),
    ({"Low": LOW_HIGH["Low"], "High": {"Low": "Amber"}}, "cells.High", "no risk level for impact High"),
    ({**LOW_HIGH, "Medium": {"Low": "x", "High": "y"}}, "cells.Medium", "unknown likelihood 'Medium'"),
    ({"Low": {**LOW_HIGH["Low"], "Huge": "Red"}, "High": LOW_HIGH["High"]}, "cells.Low.Huge",
     "unknown impact 'Huge'"),
])
def test_cells_must_cover_every_likelihood_and_impact_and_nothing_else(cells: dict[str, dict[str, str]], field: str,
                                                                       reason: str) -> None:
    with pytest.raises(RiskMatrixError) as raised:
        RiskMatrix.build(["Low", "High"], ["Low", "High"], cells=cells)
    assert (raised.value.field, reason in raised.value.reason) == (field, True)


@pytest.mark.parametrize(("arguments", "field", "reason"), [
    ({"bands": [("Low", 4), ("High", 20)]}, "bands", "score 25 (Almost certain × Severe) is above the last band"),
    ({"bands": [("Low", 9), ("High", 4), ("Top", 25)]}, "bands[1].max", "lowest first"),
    ({"bands": []}, "bands", "at least one band"),
    ({"bands": [("Low", 25)], "cells": {}}, "cells", "either cells or score bands"),
    ({}, "cells", "either cells or score bands"),
    ({"bands": [("Low", 25)], "severity": {"Lowish": "SEV4"}}, "severity.Lowish", "not a risk level"),
    ({"bands": [("Low", 9), ("High", 25)], "severity": {"Low": "SEV4"}}, "severity", "no severity for risk level High"),
])
def test_bands_and_severities_must_cover_every_score_and_level(arguments: dict[str, object], field: str,
                                                               reason: str) -> None:
    with pytest.raises(RiskMatrixError) as raised:
        RiskMatrix.build(["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
                         ["Negligible", "Minor", "Moderate", "Major", "Severe"], **arguments)  # type: ignore[arg-type]
    assert raised.value.field == field and reason in raised.value.reason


@pytest.mark.parametrize(("likelihood", "field", "reason"), [
    ([], "likelihood", "at least one level"),
    (["Low", "low"], "likelihood", "listed twice"),
    ({"Low": 2, "High": 1}, "likelihood.High", "must rise"),
    ({"Low": 0, "High": 1}, "likelihood.Low", "positive number"),
    ({"Low": True, "High": 2}, "likelihood.Low", "positive number"),
    ("Low,High", "likelihood", "must be a list"),
])
def test_levels_are_named_once_with_rising_positive_values(likelihood: object, field: str, reason: str) -> None:
    with pytest.raises(RiskMatrixError) as raised:
        RiskMatrix.build(likelihood, ["Low", "High"], bands=[("Any", 100)])  # type: ignore[arg-type]
    assert raised.value.field == field and reason in raised.value.reason


# -- several assessors -------------------------------------------------------------------------

def test_ranks_combine_by_geometric_mean_with_spread_and_who_differed_most() -> None:
    combined = aggregate_ranks([("ann", 4), ("bob", 4), ("cat", 1)], levels=5)
    assert combined.geometric_mean == pytest.approx(16 ** (1 / 3))
    assert (combined.rank, combined.spread, combined.differed_most) == (3, 3, "cat")


def test_agreeing_assessors_have_no_spread() -> None:
    combined = aggregate_ranks([("ann", 2), ("bob", 2)], levels=5)
    assert combined.geometric_mean == pytest.approx(2)
    assert (combined.rank, combined.spread) == (2, 0)


def test_the_group_assessment_applies_the_matrix_to_the_combined_ranks() -> None:
    answers = [AssessorAnswer("ann", "Likely", "Major"), AssessorAnswer("bob", 5, "Severe"),
               AssessorAnswer("cat", "possible", 4)]
    group = aggregate_assessments(answers, default_risk_matrix())
    assert (group.likelihood.rank, group.impact.rank) == (4, 4)  # ∛60 ≈ 3.9, ∛80 ≈ 4.3
    assert group.likelihood.ranks == {"ann": 4, "bob": 5, "cat": 3}
    assert (group.assessment.level, group.assessment.severity) == ("High", "SEV2")


def test_an_assessors_unknown_level_is_refused_naming_them() -> None:
    with pytest.raises(InvalidValue, match="bob: unknown likelihood 'Sometimes'"):
        aggregate_assessments([AssessorAnswer("ann", 1, 1), AssessorAnswer("bob", "Sometimes", 1)],
                              default_risk_matrix())


# -- configuration -----------------------------------------------------------------------------

def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    return load_organisation(path)


def test_the_shipped_organisation_file_configures_the_matrix() -> None:
    policy = load_organisation(ROOT / "config" / "organisation.toml")
    found = policy.risk.assess("Likely", "Major")
    assert (found.level, found.score, found.severity) == ("High", 16, "SEV2")


def test_without_a_risk_section_the_default_matrix_uses_the_organisations_severities(tmp_path: Path) -> None:
    start, end = DEFAULT.index("[risk]"), DEFAULT.index("# Priority:")
    policy = load(tmp_path, DEFAULT[:start] + DEFAULT[end:])
    assert policy.risk.assess(5, 5).severity == "SEV1"  # type: ignore[attr-defined]
    assert policy.risk.assess(1, 1).severity == "SEV4"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('{ level = "Critical", max = 25 },', '{ level = "Critical", max = 24 },',
     "risk.bands: the score 25 (Almost certain × Severe) is above the last band's max 24"),
    ('Critical = "SEV1"', 'Critical = "SEV7"', "risk.severity.Critical: unknown severity 'SEV7'"),
    ('Low = "SEV4"\n', "", "risk.severity: no severity for risk level Low"),
])
def test_a_wrong_risk_section_stops_start_up_naming_the_field(tmp_path: Path, old: str, new: str,
                                                              message: str) -> None:
    assert old in DEFAULT
    with pytest.raises(ConfigurationError) as raised:
        load(tmp_path, DEFAULT.replace(old, new, 1))
    assert message in str(raised.value) and "organisation.toml" in str(raised.value)


def test_a_risk_section_with_cells_leaving_one_out_is_refused(tmp_path: Path) -> None:
    start, end = DEFAULT.index("[risk]"), DEFAULT.index("# Priority:")
    section = ('[risk]\nlikelihood = ["Low", "High"]\nimpact = ["Low", "High"]\n'
               'cells = { Low = { Low = "Green", High = "Amber" }, High = { Low = "Amber" } }\n'
               'severity = { Green = "SEV3", Amber = "SEV2", Red = "SEV1" }\n\n')
    with pytest.raises(ConfigurationError, match=r"risk\.cells\.High: no risk level for impact High"):
        load(tmp_path, DEFAULT[:start] + section + DEFAULT[end:])
