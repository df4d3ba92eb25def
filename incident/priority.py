"""The organisation's priority criteria: leadership's pairwise judgments give each criterion a weight
(AHP), and an incident's ratings on the criteria give its score and, through score bands, P1-P4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from incident.ahp import (
    CONSISTENCY_LIMIT,
    JudgmentError,
    PairwiseMatrix,
    Priorities,
    most_inconsistent_pair,
    priorities,
)
from incident.errors import InvalidValue


class InconsistentJudgments(JudgmentError):
    """Leadership's judgments contradict each other too much (CR > 0.10) to be used as weights."""


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str


@dataclass(frozen=True)
class PriorityBand:
    priority: str
    min_score: float


@dataclass(frozen=True)
class PriorityScore:
    score: float  # Σ weight x rating
    priority: str
    contributions: dict[str, float]  # criterion key → weight x rating


@dataclass(frozen=True)
class PriorityModel:
    """Criteria with their computed weights, the rating scale and the bands (most urgent first)."""

    criteria: tuple[Criterion, ...]
    analysis: Priorities
    bands: tuple[PriorityBand, ...]
    rating_min: float = 1.0
    rating_max: float = 5.0

    @property
    def weights(self) -> dict[str, float]:
        return self.analysis.by_label()

    @classmethod
    def build(cls, criteria: Sequence[Criterion], judgments: object, bands: Sequence[PriorityBand],
              rating_min: float = 1.0, rating_max: float = 5.0) -> PriorityModel:
        """Weights from the judgments; refuses CR > 0.10 naming the ratio and the most inconsistent pair."""
        keys = [c.key for c in criteria]
        matrix = PairwiseMatrix.parse(judgments, keys, where="judgments")
        analysis = priorities(matrix)
        if not analysis.consistent:
            i, j = most_inconsistent_pair(matrix, analysis)
            implied = analysis.weights[i] / analysis.weights[j]
            raise InconsistentJudgments(
                f"inconsistent: consistency ratio {analysis.cr:.3f} is above {CONSISTENCY_LIMIT:.2f}; the most "
                f"inconsistent pair is {keys[i]} vs {keys[j]}, judged {_ratio(matrix.values[i][j])} while the "
                f"other judgments imply about {_ratio(implied)}; revisit it", i + 1, j + 1, "judgments")
        if not 0 < rating_min < rating_max:  # positive, so several assessors' ratings have a geometric mean
            raise InvalidValue("rating_min", f"ratings run from above 0 up to the highest; {rating_min:g} to "
                                             f"{rating_max:g} does not")
        if not bands:
            raise InvalidValue("bands", "needs at least one band")
        for k, (before, after) in enumerate(pairwise(bands), start=1):
            if after.min_score >= before.min_score:
                raise InvalidValue(f"bands[{k}].min_score", "bands are listed most urgent first, each with a "
                                                            f"lower min_score than the one before ({before.priority})")
        if bands[-1].min_score > rating_min:
            raise InvalidValue(f"bands[{len(bands) - 1}].min_score",
                               f"scores from {rating_min:g} up are possible; the last band must start at or below "
                               f"{rating_min:g} so every score gets a priority")
        return cls(tuple(criteria), analysis, tuple(bands), float(rating_min), float(rating_max))

    def score(self, ratings: Mapping[str, float]) -> PriorityScore:
        """Σ weight x rating over every criterion; each rating within the scale."""
        unknown = [key for key in ratings if key not in self.weights]
        if unknown:
            raise InvalidValue("ratings", f"unknown criterion {', '.join(unknown)} "
                                          f"(criteria: {', '.join(self.weights)})")
        missing = [key for key in self.weights if key not in ratings]
        if missing:
            raise InvalidValue("ratings", f"rate every criterion; missing: {', '.join(missing)}")
        contributions: dict[str, float] = {}
        for key, weight in self.weights.items():
            rating = ratings[key]
            if isinstance(rating, bool) or not isinstance(rating, int | float) or not math.isfinite(rating) \
                    or not self.rating_min <= rating <= self.rating_max:
                raise InvalidValue(f"ratings.{key}", f"{rating!r} is not a rating from {self.rating_min:g} "
                                                     f"to {self.rating_max:g}")
            contributions[key] = weight * rating
        total = math.fsum(contributions.values())
        priority = next(b.priority for b in self.bands if total >= b.min_score - 1e-12)
        return PriorityScore(total, priority, contributions)


def _ratio(value: float) -> str:
    """A judgment as people write it: 3, or 1/3 rather than 0.333."""
    return f"{value:.2g}" if value >= 1 else f"1/{1 / value:.2g}"


DEFAULT_CRITERIA = (
    Criterion("customer_impact", "Customer impact"),
    Criterion("security", "Security and compliance"),
    Criterion("revenue", "Revenue"),
    Criterion("reputation", "Reputation"),
    Criterion("productivity", "Internal productivity"),
)
# Row vs column: how much more the row's criterion matters (Saaty's 1-9 scale). CR ≈ 0.01.
DEFAULT_JUDGMENTS: tuple[tuple[float | str, ...], ...] = (
    (1, 2, 3, 3, 5),
    ("1/2", 1, 2, 2, 4),
    ("1/3", "1/2", 1, 1, 3),
    ("1/3", "1/2", 1, 1, 2),
    ("1/5", "1/4", "1/3", "1/2", 1),
)
DEFAULT_BANDS = (PriorityBand("P1", 4.0), PriorityBand("P2", 3.0), PriorityBand("P3", 2.0), PriorityBand("P4", 1.0))


def default_priority_model() -> PriorityModel:
    return PriorityModel.build(DEFAULT_CRITERIA, [list(row) for row in DEFAULT_JUDGMENTS], DEFAULT_BANDS)
