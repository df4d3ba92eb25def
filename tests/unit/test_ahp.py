"""The AHP engine reproduces published examples, refuses unusable judgments naming the entry and the
reason, aggregates groups as theory says it must, and synthesises hierarchies of any depth."""

from __future__ import annotations

import math

import pytest

from incident.ahp import (
    Assessor,
    GroupMethod,
    HierarchyNode,
    JudgmentError,
    PairwiseMatrix,
    group_priorities,
    hierarchy_priorities,
    most_inconsistent_pair,
    priorities,
)
from tests.support.ahp_examples import (
    CITIES,
    CITIES_PUBLISHED,
    CITY_CRITERIA,
    CITY_JUDGMENTS,
    DRINKS,
    DRINKS_MATRIX,
    DRINKS_PUBLISHED,
)


def consistent(weights: list[float]) -> list[list[float]]:
    """A perfectly consistent matrix: a_ij = w_i / w_j."""
    return [[wi / wj for wj in weights] for wi in weights]


def test_saaty_drinks_priorities_are_reproduced_to_four_decimals() -> None:
    result = priorities(PairwiseMatrix.parse(DRINKS_MATRIX, DRINKS))
    assert result.by_label() == pytest.approx(DRINKS_PUBLISHED, abs=1e-4)
    assert sum(result.weights) == pytest.approx(1, abs=1e-12)


def test_saaty_drinks_consistency_matches_the_published_ratio() -> None:
    result = priorities(PairwiseMatrix.parse(DRINKS_MATRIX, DRINKS))
    # The published CR 0.0235 used Donegan and Dodd's RI(7) = 1.2519, so CI = 0.0235 x 1.2519.
    assert result.ci == pytest.approx(0.0235 * 1.2519, abs=1e-4)
    assert result.lambda_max == pytest.approx(7 + 6 * 0.0235 * 1.2519, abs=1e-3)
    assert result.random_index == 1.32 and result.cr == pytest.approx(result.ci / 1.32, rel=1e-12)
    assert result.consistent


def test_a_published_consistency_ratio_is_reproduced_to_seven_decimals() -> None:
    # JanCaha/FuzzyAHP tests/testthat/test_consistencyRatio.R: CR 0.0623919 (tolerance 1e-7) with that
    # package's RI(3) = 0.52 (R/function-consistencyRatio.R); so λmax = 3 + 2 x 0.52 x 0.0623919.
    result = priorities(PairwiseMatrix.parse([["1", "1/3", "5"], ["3", "1", "7"], ["1/5", "1/7", "1"]]))
    assert result.ci / 0.52 == pytest.approx(0.0623919, abs=1e-7)
    assert result.lambda_max == pytest.approx(3 + 2 * 0.52 * 0.0623919, abs=1e-6)
    assert result.cr == pytest.approx(result.ci / 0.58)


def test_saaty_city_hierarchy_global_priorities_are_reproduced_to_four_decimals() -> None:
    children = tuple(HierarchyNode(name, PairwiseMatrix.parse(CITY_JUDGMENTS[name], CITIES))
                     for name in CITY_CRITERIA)
    root = HierarchyNode("Goal", PairwiseMatrix.parse(CITY_JUDGMENTS["Goal"], CITY_CRITERIA), children)
    result = hierarchy_priorities(root)
    assert result.global_priorities == pytest.approx(CITIES_PUBLISHED, abs=1e-4)
    assert set(result.nodes) == {"Goal", *CITY_CRITERIA}


def test_a_consistent_matrix_gives_back_its_weights_exactly_with_lambda_max_n() -> None:
    weights = [0.4, 0.3, 0.2, 0.1]
    result = priorities(PairwiseMatrix.parse(consistent(weights)))
    assert result.weights == pytest.approx(weights, abs=1e-12)
    assert result.lambda_max == pytest.approx(4, abs=1e-12)
    assert result.ci == pytest.approx(0, abs=1e-12) and result.cr == pytest.approx(0, abs=1e-12)
    assert result.consistent


def test_two_items_are_always_consistent_with_a_zero_ratio() -> None:
    result = priorities(PairwiseMatrix.parse([[1, 7], ["1/7", 1]], ["a", "b"]))
    assert result.by_label() == pytest.approx({"a": 7 / 8, "b": 1 / 8})
    assert (result.cr, result.random_index, result.consistent) == (0.0, 0.0, True)


@pytest.mark.parametrize(("n", "random_index"), list(zip(range(3, 16), [
    0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59], strict=True)))
def test_the_random_index_is_saatys_1980_table(n: int, random_index: float) -> None:
    result = priorities(PairwiseMatrix.parse(consistent([1 + (i % 3) for i in range(n)])))
    assert result.random_index == random_index


def test_a_ratio_just_above_the_limit_is_inconsistent_even_though_it_rounds_to_0_10() -> None:
    result = priorities(PairwiseMatrix.parse([[1, "1/9", "1/5"], [9, 1, 5], [5, "1/5", 1]]))
    assert round(result.cr, 2) == 0.10 and result.cr > 0.10
    assert not result.consistent


def test_the_most_inconsistent_pair_is_the_judgment_furthest_from_the_weights() -> None:
    judgments = consistent([0.5, 0.25, 0.15, 0.1])
    judgments[0][3], judgments[3][0] = 1 / 3, 3.0  # a reversal of "a is 5 times b"
    matrix = PairwiseMatrix.parse(judgments)
    assert most_inconsistent_pair(matrix, priorities(matrix)) == (0, 3)


@pytest.mark.parametrize(("text", "value"), [("1/3", 1 / 3), (" 1 / 3 ", 1 / 3), ("3", 3.0), ("0.5", 0.5),
                                             ("1/2.5", 0.4)])
def test_strings_are_numbers_or_fractions(text: str, value: float) -> None:
    matrix = PairwiseMatrix.parse([[1, text], [1 / value, 1]])
    assert matrix.values[0][1] == pytest.approx(value)


@pytest.mark.parametrize("reciprocal", ["1/3", 0.333, 1 / 3])
def test_rounded_reciprocals_within_half_a_percent_are_accepted(reciprocal: object) -> None:
    matrix = PairwiseMatrix.parse([[1, 3], [reciprocal, 1]])
    assert matrix.values[0][1] * matrix.values[1][0] == pytest.approx(1)


# Each case: the matrix, the entry (row, column) named or None, and words the reason must contain.
INVALID = {
    "non-square": ([[1, 2, 3], [0.5, 1, 2]], None, "must be square"),
    "ragged": ([[1, 2, 3], [0.5, 1], [1 / 3, 1, 1]], None, "row 2 has 2 entries"),
    "not a list": ("1, 2; 0.5, 1", None, "list of rows"),
    "one item": ([[1]], None, "between 2 and 15"),
    "sixteen items": ([[1] * 16 for _ in range(16)], None, "between 2 and 15"),
    "text": ([[1, "three"], ["1/3", 1]], (1, 2), "not a number or a fraction"),
    "null": ([[1, None], [1, 1]], (1, 2), "not a number"),
    "boolean": ([[1, True], [1, 1]], (1, 2), "not a number"),
    "NaN": ([[1, 2], [float("nan"), 1]], (2, 1), "NaN"),
    "NaN text": ([[1, "nan"], [1, 1]], (1, 2), "NaN"),
    "infinity": ([[1, float("inf")], [0, 1]], (1, 2), "infinite"),
    "division by zero": ([[1, "1/0"], [1, 1]], (1, 2), "divides by zero"),
    "zero": ([[1, 0], [1, 1]], (1, 2), "not positive"),
    "negative": ([[1, 2], [-0.5, 1]], (2, 1), "not positive"),
    "above 9": ([[1, 10], [0.1, 1]], (1, 2), "outside Saaty's scale"),
    "too large for a float": ([[1, 10**400], [1, 1]], (1, 2), "outside Saaty's scale"),  # a JSON integer
    "below 1/9": ([[1, 2, "1/10"], [0.5, 1, 1], [10, 1, 1]], (1, 3), "outside Saaty's scale"),
    "diagonal": ([[1, 2], [0.5, 2]], (2, 2), "diagonal must be 1"),
    "not reciprocal": ([[1, 3, 1], [0.33, 1, 1], [1, 1, 1]], (1, 2), "not reciprocal"),
    "not reciprocal at all": ([[1, 1, 2], [1, 1, 4], [0.5, 4, 1]], (2, 3), "not reciprocal"),
}


@pytest.mark.parametrize("case", INVALID)
def test_unusable_judgments_are_refused_naming_the_entry_and_the_reason(case: str) -> None:
    raw, entry, reason = INVALID[case]
    with pytest.raises(JudgmentError) as raised:
        PairwiseMatrix.parse(raw)
    assert reason in raised.value.reason
    if entry is not None:
        assert (raised.value.row, raised.value.column) == entry
        assert f"matrix ({entry[0]}, {entry[1]}):" in str(raised.value)


def test_labels_must_match_the_matrix_and_be_unique() -> None:
    with pytest.raises(JudgmentError, match="3 labels for a 2×2 matrix"):
        PairwiseMatrix.parse([[1, 2], [0.5, 1]], ["a", "b", "c"])
    with pytest.raises(JudgmentError, match="repeated: a"):
        PairwiseMatrix.parse([[1, 2], [0.5, 1]], ["a", "a"])


# -- groups ------------------------------------------------------------------------------------

def assessor(name: str, weights: list[float], weight: float | None = None) -> Assessor:
    return Assessor(name, PairwiseMatrix.parse(consistent(weights), ["a", "b", "c"]), weight)


@pytest.mark.parametrize("weights", [(None, None, None), (1.0, 2.0, 3.0)])
def test_aij_and_aip_agree_for_perfectly_consistent_assessors(weights: tuple[float | None, ...]) -> None:
    team = [assessor("ann", [0.6, 0.3, 0.1], weights[0]), assessor("bob", [0.2, 0.5, 0.3], weights[1]),
            assessor("cat", [0.4, 0.4, 0.2], weights[2])]
    aij = group_priorities(team, GroupMethod.AIJ).group
    aip = group_priorities(team, GroupMethod.AIP).group
    assert aij.weights == pytest.approx(aip.weights, abs=1e-12)
    share = [1 / 3] * 3 if weights[0] is None else [w / 6 for w in (1.0, 2.0, 3.0)]
    expected = [math.prod(p[i] ** s for p, s in zip(([0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]), share,
                                                    strict=True)) for i in range(3)]
    assert aij.weights == pytest.approx([e / sum(expected) for e in expected], abs=1e-12)


def test_aij_takes_the_geometric_mean_of_the_judgments() -> None:
    team = [Assessor("ann", PairwiseMatrix.parse([[1, 3], ["1/3", 1]])),
            Assessor("bob", PairwiseMatrix.parse([[1, 5], ["1/5", 1]]))]
    group = group_priorities(team).group
    assert group.weights[0] / group.weights[1] == pytest.approx(math.sqrt(15))


def test_each_assessor_gets_their_own_consistency_ratio() -> None:
    sloppy = Assessor("sam", PairwiseMatrix.parse([[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]], ["a", "b", "c"]))
    result = group_priorities([assessor("ann", [0.6, 0.3, 0.1]), sloppy])
    figures = {a.name: p for a, p in result.assessors}
    assert figures["ann"].cr == pytest.approx(0, abs=1e-12) and figures["ann"].consistent
    assert figures["sam"].cr > 1 and not figures["sam"].consistent


def test_equal_weights_are_the_default_and_weights_are_normalised() -> None:
    team = [assessor("ann", [0.6, 0.3, 0.1], 5), assessor("bob", [0.2, 0.5, 0.3], 5)]
    assert group_priorities(team).weights == (0.5, 0.5)
    unweighted = [assessor("ann", [0.6, 0.3, 0.1]), assessor("bob", [0.2, 0.5, 0.3])]
    assert group_priorities(team).group.weights == pytest.approx(group_priorities(unweighted).group.weights)


@pytest.mark.parametrize(("weights", "reason"), [
    ((1.0, None), "for every assessor or for none; missing for: bob"),
    ((1.0, -1.0), "must be a finite number ≥ 0"),
    ((0.0, 0.0), "all zero"),
])
def test_assessor_weights_are_all_or_none_non_negative_and_not_all_zero(
        weights: tuple[float | None, float | None], reason: str) -> None:
    team = [assessor("ann", [0.6, 0.3, 0.1], weights[0]), assessor("bob", [0.2, 0.5, 0.3], weights[1])]
    with pytest.raises(JudgmentError, match=reason):
        group_priorities(team)


def test_assessors_must_judge_the_same_items() -> None:
    other = Assessor("bob", PairwiseMatrix.parse([[1, 2], [0.5, 1]], ["a", "b"]))
    with pytest.raises(JudgmentError, match="assessor 'bob'"):
        group_priorities([assessor("ann", [0.6, 0.3, 0.1]), other])


# -- hierarchies -------------------------------------------------------------------------------

def test_global_priority_is_the_product_of_weights_down_any_depth() -> None:
    leaf = HierarchyNode("y", PairwiseMatrix.parse(consistent([0.75, 0.25]), ["y1", "y2"]))
    middle = HierarchyNode("b", PairwiseMatrix.parse(consistent([0.5, 0.5]), ["x", "y"]), (leaf,))
    root = HierarchyNode("goal", PairwiseMatrix.parse(consistent([0.8, 0.2]), ["a", "b"]), (middle,))
    result = hierarchy_priorities(root)
    assert result.global_priorities == pytest.approx({"a": 0.8, "x": 0.1, "y1": 0.075, "y2": 0.025})
    assert result.nodes["y"].by_label() == pytest.approx({"y1": 0.75, "y2": 0.25})


def test_a_child_must_be_named_after_a_label_of_its_parent() -> None:
    stray = HierarchyNode("z", PairwiseMatrix.parse(consistent([0.5, 0.5]), ["p", "q"]))
    root = HierarchyNode("goal", PairwiseMatrix.parse(consistent([0.8, 0.2]), ["a", "b"]), (stray,))
    with pytest.raises(JudgmentError, match="child 'z' is not one of the labels of 'goal'"):
        hierarchy_priorities(root)


def test_node_names_must_be_unique() -> None:
    twin = HierarchyNode("a", PairwiseMatrix.parse(consistent([0.5, 0.5]), ["p", "q"]))
    inner = HierarchyNode("b", PairwiseMatrix.parse(consistent([0.5, 0.5]), ["a", "r"]), (twin,))
    root = HierarchyNode("a", PairwiseMatrix.parse(consistent([0.8, 0.2]), ["x", "b"]), (inner,))
    with pytest.raises(JudgmentError, match="node name 'a' is used twice"):
        hierarchy_priorities(root)
