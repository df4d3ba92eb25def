"""Several assessors' independent likelihood and impact ranks, combined without groupthink.

The combined rank is the geometric mean of the ranks (a ratio scale, like the AHP's), rounded to the
nearest level; the spread and the assessor who differed most show where the group disagrees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from incident.errors import InvalidValue
from incident.priority import PriorityModel, PriorityScore
from incident.risk import RiskAssessment, RiskMatrix


@dataclass(frozen=True)
class AssessorAnswer:
    """One assessor's answer: likelihood and impact as names or 1-based ranks of the matrix's levels."""

    name: str
    likelihood: str | int
    impact: str | int


@dataclass(frozen=True)
class RankAggregate:
    """One axis (likelihood or impact) across the assessors."""

    geometric_mean: float
    rank: int  # the geometric mean rounded to the nearest level
    spread: int  # highest rank given minus lowest
    differed_most: str  # the assessor furthest from the mean (ratio distance); first such in answer order
    ranks: dict[str, int]  # assessor → the rank they gave


@dataclass(frozen=True)
class GroupRiskAssessment:
    likelihood: RankAggregate
    impact: RankAggregate
    assessment: RiskAssessment  # the matrix applied to the combined ranks: level, score, proposed severity


def aggregate_ranks(ranks: Sequence[tuple[str, int]], levels: int) -> RankAggregate:
    """Geometric mean of 1-based ranks out of ``levels``, its nearest rank, the spread, the outlier."""
    if not ranks:
        raise InvalidValue("assessors", "no answers to aggregate")
    for name, rank in ranks:
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= levels:
            raise InvalidValue("assessors", f"{name}'s rank {rank!r} is not between 1 and {levels}")
    mean = math.exp(math.fsum(math.log(rank) for _, rank in ranks) / len(ranks))
    nearest = min(max(math.floor(mean + 0.5), 1), levels)  # halves round up: when torn, take the risk seriously
    distances = [abs(math.log(rank / mean)) for _, rank in ranks]
    outlier = ranks[distances.index(max(distances))][0]
    values = [rank for _, rank in ranks]
    return RankAggregate(mean, nearest, max(values) - min(values), outlier, dict(ranks))


def aggregate_assessments(answers: Sequence[AssessorAnswer], matrix: RiskMatrix) -> GroupRiskAssessment:
    """Each answer checked against the matrix (unknown levels are refused, naming the assessor), then
    combined axis by axis, and the matrix applied to the combined ranks."""
    if not answers:
        raise InvalidValue("assessors", "no answers to aggregate")
    names = [a.name for a in answers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidValue("assessors", f"one answer per assessor; repeated: {', '.join(repeated)}")
    likelihood, impact = [], []
    for answer in answers:
        try:
            likelihood.append((answer.name, matrix.level_of("likelihood", answer.likelihood).rank))
            impact.append((answer.name, matrix.level_of("impact", answer.impact).rank))
        except InvalidValue as error:
            raise InvalidValue(error.field, f"{answer.name}: {error.reason}") from None
    chance = aggregate_ranks(likelihood, len(matrix.likelihood))
    effect = aggregate_ranks(impact, len(matrix.impact))
    return GroupRiskAssessment(chance, effect, matrix.assess(chance.rank, effect.rank))


@dataclass(frozen=True)
class GroupPriority:
    ratings: dict[str, float]  # criterion key → geometric mean of the assessors' ratings
    score: PriorityScore  # the priority model applied to those ratings


def aggregate_ratings(answers: Sequence[tuple[str, Mapping[str, float]]], model: PriorityModel) -> GroupPriority:
    """Each assessor's criteria ratings checked (all rated, within the scale), then combined per
    criterion by geometric mean, like the AHP combines judgments, and scored."""
    if not answers:
        raise InvalidValue("assessors", "no ratings to aggregate")
    for name, ratings in answers:
        try:
            model.score(ratings)
        except InvalidValue as error:
            raise InvalidValue(error.field, f"{name}: {error.reason}") from None
    combined = {key: math.exp(math.fsum(math.log(r[key]) for _, r in answers) / len(answers))
                for key in model.weights}
    return GroupPriority(combined, model.score(combined))
