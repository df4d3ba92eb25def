"""The risk matrix: likelihood x impact gives a risk level, and each risk level proposes a severity.

Levels are named and listed lowest first; each has a value (by default its 1-based rank). The level
comes either from explicit cells (likelihood → impact → risk level) or from score bands, where
score = likelihood value x impact value and the first band whose ``max`` is at least the score wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from incident.errors import InvalidValue


class RiskMatrixError(InvalidValue):
    """The matrix itself is wrong: a cell or score left uncovered, an unknown level, a bad value."""


class UnknownLevel(InvalidValue):
    """A likelihood or impact that the matrix does not know; the message lists the valid ones."""


@dataclass(frozen=True)
class Level:
    name: str
    value: float
    rank: int  # 1-based, lowest first


@dataclass(frozen=True)
class ScoreBand:
    level: str
    max: float


@dataclass(frozen=True)
class RiskAssessment:
    likelihood: Level
    impact: Level
    level: str
    score: float | None  # only when the matrix uses score bands
    severity: str | None  # only when the matrix maps risk levels to severities


@dataclass(frozen=True)
class RiskMatrix:
    """A validated matrix; build it with :meth:`build` so every cell and score is known to be covered."""

    likelihood: tuple[Level, ...]
    impact: tuple[Level, ...]
    cells: Mapping[str, Mapping[str, str]] | None = None
    bands: tuple[ScoreBand, ...] | None = None
    severity: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, likelihood: Sequence[str] | Mapping[str, float], impact: Sequence[str] | Mapping[str, float],
              *, cells: Mapping[str, Mapping[str, str]] | None = None,
              bands: Sequence[tuple[str, float]] | None = None,
              severity: Mapping[str, str] | None = None) -> RiskMatrix:
        """Check everything; errors name the field (``cells.Likely``, ``bands[2].max``, ...) and the reason."""
        likelihoods = _levels("likelihood", likelihood)
        impacts = _levels("impact", impact)
        if (cells is None) == (bands is None):
            raise RiskMatrixError("cells", "give either cells or score bands, not both and not neither")
        built_cells = _cells(cells, likelihoods, impacts) if cells is not None else None
        built_bands = _bands(bands, likelihoods, impacts) if bands is not None else None
        matrix = cls(likelihoods, impacts, built_cells, built_bands, {})
        mapping = dict(severity or {})
        levels = matrix.levels
        for level in mapping:
            if level not in levels:
                raise RiskMatrixError(f"severity.{level}", f"'{level}' is not a risk level of this matrix "
                                                           f"(levels: {', '.join(levels)})")
        unmapped = [level for level in levels if level not in mapping]
        if mapping and unmapped:
            raise RiskMatrixError("severity", f"no severity for risk level {', '.join(unmapped)}")
        for level, proposed in mapping.items():
            if not isinstance(proposed, str) or not proposed.strip():
                raise RiskMatrixError(f"severity.{level}", "must be a severity name")
        return cls(likelihoods, impacts, built_cells, built_bands, mapping)

    @property
    def levels(self) -> tuple[str, ...]:
        """Risk level names: in band order, or in the order the cells first use them."""
        if self.bands is not None:
            return tuple(dict.fromkeys(b.level for b in self.bands))
        assert self.cells is not None
        return tuple(dict.fromkeys(level for row in self.cells.values() for level in row.values()))

    def level_of(self, axis: str, given: str | int) -> Level:
        """A level by name (any case) or by 1-based rank ("3" or 3)."""
        levels = self.likelihood if axis == "likelihood" else self.impact
        text = str(given).strip()
        for level in levels:
            if level.name.casefold() == text.casefold():
                return level
        if text.isdigit() and 1 <= int(text) <= len(levels):
            return levels[int(text) - 1]
        valid = ", ".join(level.name for level in levels)
        raise UnknownLevel(axis, f"unknown {axis} '{given}' (valid: {valid}; or a rank 1-{len(levels)})")

    def assess(self, likelihood: str | int, impact: str | int) -> RiskAssessment:
        chance, effect = self.level_of("likelihood", likelihood), self.level_of("impact", impact)
        score: float | None = None
        if self.cells is not None:
            level = self.cells[chance.name][effect.name]
        else:
            score = chance.value * effect.value
            level = _band_for(self.bands or (), score)
        return RiskAssessment(chance, effect, level, score, self.severity.get(level))


def _levels(axis: str, given: Sequence[str] | Mapping[str, float]) -> tuple[Level, ...]:
    if isinstance(given, Mapping):
        pairs = list(given.items())
    elif isinstance(given, list | tuple):
        pairs = [(name, float(rank)) for rank, name in enumerate(given, start=1)]
    else:
        raise RiskMatrixError(axis, "must be a list of level names, lowest first, or a table of name = value")
    if not pairs:
        raise RiskMatrixError(axis, "needs at least one level")
    levels: list[Level] = []
    for rank, (name, value) in enumerate(pairs, start=1):
        if not isinstance(name, str) or not name.strip():
            raise RiskMatrixError(f"{axis}[{rank - 1}]", "a level name must be a non-empty string")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise RiskMatrixError(f"{axis}.{name}", f"the value must be a positive number, not {value!r}")
        if levels and value <= levels[-1].value:
            raise RiskMatrixError(f"{axis}.{name}", f"values must rise from the lowest level to the highest "
                                                   f"({value:g} follows {levels[-1].name} = {levels[-1].value:g})")
        if any(level.name.casefold() == name.strip().casefold() for level in levels):
            raise RiskMatrixError(axis, f"'{name}' is listed twice")
        levels.append(Level(name.strip(), float(value), rank))
    return tuple(levels)


def _cells(cells: Mapping[str, Mapping[str, str]], likelihoods: tuple[Level, ...],
           impacts: tuple[Level, ...]) -> dict[str, dict[str, str]]:
    if not isinstance(cells, Mapping):
        raise RiskMatrixError("cells", "must be a table: likelihood → impact → risk level")
    names_l = [level.name for level in likelihoods]
    names_i = [level.name for level in impacts]
    for chance in cells:
        if chance not in names_l:
            raise RiskMatrixError(f"cells.{chance}", f"unknown likelihood '{chance}' (valid: {', '.join(names_l)})")
    built: dict[str, dict[str, str]] = {}
    for chance in names_l:
        row = cells.get(chance)
        if not isinstance(row, Mapping):
            raise RiskMatrixError(f"cells.{chance}", f"no cells for likelihood '{chance}'; every likelihood "
                                                     f"needs a level for each impact ({', '.join(names_i)})")
        for effect in row:
            if effect not in names_i:
                raise RiskMatrixError(f"cells.{chance}.{effect}",
                                      f"unknown impact '{effect}' (valid: {', '.join(names_i)})")
        missing = [effect for effect in names_i if effect not in row]
        if missing:
            raise RiskMatrixError(f"cells.{chance}", f"no risk level for impact {', '.join(missing)}; every "
                                                     f"cell must be covered")
        for effect in names_i:
            level = row[effect]
            if not isinstance(level, str) or not level.strip():
                raise RiskMatrixError(f"cells.{chance}.{effect}", "must be a risk level name")
        built[chance] = {effect: row[effect].strip() for effect in names_i}
    return built


def _bands(bands: Sequence[tuple[str, float]], likelihoods: tuple[Level, ...],
           impacts: tuple[Level, ...]) -> tuple[ScoreBand, ...]:
    if not bands:
        raise RiskMatrixError("bands", "needs at least one band")
    built: list[ScoreBand] = []
    for i, (level, top) in enumerate(bands):
        if not isinstance(level, str) or not level.strip():
            raise RiskMatrixError(f"bands[{i}].level", "must be a risk level name")
        if isinstance(top, bool) or not isinstance(top, int | float) or not math.isfinite(top):
            raise RiskMatrixError(f"bands[{i}].max", f"must be a number, not {top!r}")
        if built and top <= built[-1].max:
            raise RiskMatrixError(f"bands[{i}].max", f"bands are listed lowest first: {top:g} must be above "
                                                     f"{built[-1].max:g}")
        built.append(ScoreBand(level.strip(), float(top)))
    highest = likelihoods[-1].value * impacts[-1].value
    if highest > built[-1].max:
        raise RiskMatrixError("bands", f"the score {highest:g} ({likelihoods[-1].name} × {impacts[-1].name}) is "
                                       f"above the last band's max {built[-1].max:g}; every score must be covered")
    return tuple(built)


def _band_for(bands: Sequence[ScoreBand], score: float) -> str:
    for band in bands:
        if score <= band.max:
            return band.level
    raise AssertionError("build() checked that the last band covers every score")


DEFAULT_LIKELIHOOD = ("Rare", "Unlikely", "Possible", "Likely", "Almost certain")
DEFAULT_IMPACT = ("Negligible", "Minor", "Moderate", "Major", "Severe")
DEFAULT_BANDS = (("Low", 4.0), ("Medium", 9.0), ("High", 16.0), ("Critical", 25.0))


def default_risk_matrix(severities: Sequence[str] = ("SEV1", "SEV2", "SEV3", "SEV4")) -> RiskMatrix:
    """The common 5x5 matrix, scores 1-25 in four bands; Critical proposes the most severe severity,
    High the next, and so on (the least severe one repeats when there are fewer than four)."""
    most_severe_first = [level for level, _ in reversed(DEFAULT_BANDS)]
    mapping = {level: severities[min(i, len(severities) - 1)] for i, level in enumerate(most_severe_first)} \
        if severities else {}
    return RiskMatrix.build(DEFAULT_LIKELIHOOD, DEFAULT_IMPACT, bands=DEFAULT_BANDS, severity=mapping)
