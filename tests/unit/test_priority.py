"""Leadership's pairwise judgments weigh the organisation's criteria; inconsistent judgments are refused
naming the ratio and the pair to revisit; an incident's ratings give its score and P1-P4."""

from __future__ import annotations

from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.consensus import aggregate_ratings
from incident.errors import ConfigurationError, InvalidValue
from incident.priority import (
    DEFAULT_BANDS,
    DEFAULT_CRITERIA,
    DEFAULT_JUDGMENTS,
    Criterion,
    InconsistentJudgments,
    PriorityBand,
    PriorityModel,
    default_priority_model,
)

DEFAULT = (ROOT / "config" / "organisation.toml").read_text()
THREE = [Criterion("customers", "Customers"), Criterion("security", "Security"), Criterion("cost", "Cost")]
BANDS = [PriorityBand("P1", 4), PriorityBand("P2", 3), PriorityBand("P3", 2), PriorityBand("P4", 1)]
# customers:security = 2, customers:cost = 4, security:cost = 2 — perfectly consistent: 4/7, 2/7, 1/7.
CONSISTENT = [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]


def test_weights_are_the_ahp_priorities_of_the_judgments() -> None:
    model = PriorityModel.build(THREE, CONSISTENT, BANDS)
    assert model.weights == pytest.approx({"customers": 4 / 7, "security": 2 / 7, "cost": 1 / 7})


def test_the_default_criteria_are_consistent_and_customer_impact_weighs_most() -> None:
    model = default_priority_model()
    assert list(model.weights) == ["customer_impact", "security", "revenue", "reputation", "productivity"]
    assert max(model.weights, key=model.weights.__getitem__) == "customer_impact"
    assert model.analysis.cr < 0.10 and sum(model.weights.values()) == pytest.approx(1)


def test_inconsistent_judgments_are_refused_naming_the_ratio_and_the_pair() -> None:
    # Consistent 8:4:2:1 judgments, except that cost is now said to beat customers 4x instead of losing 4x.
    four = [*THREE, Criterion("morale", "Morale")]
    judgments = [[1, 2, "1/4", 8], ["1/2", 1, 2, 4], [4, "1/2", 1, 2], ["1/8", "1/4", "1/2", 1]]
    with pytest.raises(InconsistentJudgments) as raised:
        PriorityModel.build(four, judgments, BANDS)
    message = str(raised.value)
    assert "inconsistent: consistency ratio 0." in message and "is above 0.10" in message
    assert "most inconsistent pair is customers vs cost, judged 1/4" in message
    assert (raised.value.row, raised.value.column) == (1, 3)


def test_the_score_is_the_weighted_sum_of_the_ratings() -> None:
    model = PriorityModel.build(THREE, CONSISTENT, BANDS)
    scored = model.score({"customers": 5, "security": 2, "cost": 1})
    assert scored.score == pytest.approx(5 * 4 / 7 + 2 * 2 / 7 + 1 / 7)
    assert scored.contributions["customers"] == pytest.approx(20 / 7)


@pytest.mark.parametrize(("rating", "priority"), [(5, "P1"), (4, "P1"), (3.5, "P2"), (3, "P2"), (2, "P3"),
                                                  (1.5, "P4"), (1, "P4")])
def test_score_bands_give_the_priority(rating: float, priority: str) -> None:
    model = PriorityModel.build(THREE, CONSISTENT, BANDS)
    assert model.score(dict.fromkeys(("customers", "security", "cost"), rating)).priority == priority


@pytest.mark.parametrize(("ratings", "reason"), [
    ({"customers": 5, "security": 2}, "missing: cost"),
    ({"customers": 5, "security": 2, "cost": 1, "mood": 3}, "unknown criterion mood"),
    ({"customers": 6, "security": 2, "cost": 1}, "not a rating from 1 to 5"),
    ({"customers": True, "security": 2, "cost": 1}, "not a rating from 1 to 5"),
])
def test_every_criterion_is_rated_within_the_scale(ratings: dict[str, float], reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        PriorityModel.build(THREE, CONSISTENT, BANDS).score(ratings)


@pytest.mark.parametrize(("bands", "reason"), [
    ([PriorityBand("P1", 4), PriorityBand("P2", 2)], "the last band must start at or below 1"),
    ([PriorityBand("P1", 2), PriorityBand("P2", 3), PriorityBand("P3", 1)], "most urgent first"),
    ([], "at least one band"),
])
def test_bands_must_give_every_score_a_priority(bands: list[PriorityBand], reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        PriorityModel.build(THREE, CONSISTENT, bands)


def test_the_shipped_organisation_file_holds_the_default_criteria() -> None:
    policy = load_organisation(ROOT / "config" / "organisation.toml")
    assert policy.priority.weights == pytest.approx(default_priority_model().weights)
    assert [c.name for c in policy.priority.criteria] == [c.name for c in DEFAULT_CRITERIA]
    assert [b.priority for b in policy.priority.bands] == [b.priority for b in DEFAULT_BANDS]
    assert len(DEFAULT_JUDGMENTS) == len(DEFAULT_CRITERIA)


def test_inconsistent_leadership_judgments_stop_start_up(tmp_path: Path) -> None:
    old = '  ["1/3",            "1/2",    1,       1,          3],    # revenue\n'
    assert old in DEFAULT
    path = tmp_path / "organisation.toml"
    path.write_text(DEFAULT.replace('[1,                2,        3,       3,          5]',
                                    '[1,                2,        "1/5",   3,          5]')
                    .replace(old, '  [5,                "1/2",    1,       1,          3],    # revenue\n'))
    with pytest.raises(ConfigurationError) as raised:
        load_organisation(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: priority.judgments (1, 3): inconsistent: consistency ratio 0.")
    assert "customer_impact vs revenue, judged 1/5" in message


def test_judgments_of_the_wrong_size_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(DEFAULT.replace('  ["1/5",            "1/4",    "1/3",   "1/2",      1],    # productivity\n',
                                    ""))
    with pytest.raises(ConfigurationError, match=r"priority\.judgments: row 1 has 5 entries but the matrix has 4"):
        load_organisation(path)


def test_several_assessors_ratings_combine_by_geometric_mean_before_scoring() -> None:
    model = PriorityModel.build(THREE, CONSISTENT, BANDS)
    group = aggregate_ratings([("ann", {"customers": 4, "security": 1, "cost": 2}),
                               ("bob", {"customers": 1, "security": 1, "cost": 2})], model)
    assert group.ratings == pytest.approx({"customers": 2, "security": 1, "cost": 2})
    assert group.score.score == pytest.approx(2 * 4 / 7 + 2 / 7 + 2 / 7)
    assert group.score.priority == "P4"


def test_an_assessors_incomplete_ratings_are_refused_naming_them() -> None:
    with pytest.raises(InvalidValue, match="bob: rate every criterion; missing: cost"):
        aggregate_ratings([("ann", {"customers": 4, "security": 1, "cost": 2}),
                           ("bob", {"customers": 1, "security": 1})], PriorityModel.build(THREE, CONSISTENT, BANDS))


def test_ratings_must_start_above_zero() -> None:
    with pytest.raises(InvalidValue, match="ratings run from above 0"):
        PriorityModel.build(THREE, CONSISTENT, BANDS, rating_min=0)
