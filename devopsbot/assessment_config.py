"""The organisation file's ``[risk]`` and ``[priority]`` sections: their pydantic shape, and their
conversion to the domain's RiskMatrix and PriorityModel (which do the real checking)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from incident.errors import InvalidValue
from incident.priority import Criterion, PriorityBand, PriorityModel, default_priority_model
from incident.risk import RiskMatrix, default_risk_matrix

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
SeverityName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskBandModel(_Strict):
    level: Name
    max: float


class RiskModel(_Strict):
    """Levels lowest first (a list, valued by rank, or a table of name = value); cells or bands."""

    likelihood: list[Name] | dict[Name, float]
    impact: list[Name] | dict[Name, float]
    cells: dict[Name, dict[Name, Name]] | None = None
    bands: list[RiskBandModel] | None = None
    severity: dict[Name, SeverityName] = Field(default_factory=dict)


class CriterionModel(_Strict):
    key: Key
    name: Name


class PriorityBandModel(_Strict):
    priority: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")]
    min_score: float


class PriorityConfigModel(_Strict):
    criteria: list[CriterionModel] = Field(min_length=2, max_length=15)
    # Numbers or strings like "1/3"; the domain parses them, so a boolean is refused there, not coerced here.
    judgments: list[list[Any]]
    rating_min: float = 1.0
    rating_max: float = 5.0
    bands: list[PriorityBandModel] = Field(min_length=1)


def risk_matrix(model: RiskModel | None, severities: Sequence[str]) -> RiskMatrix:
    """The configured matrix, or the 5x5 default mapped onto the organisation's severities by rank.

    Raises ValueError("risk.<field>: <reason>") so the loader reports the file, the path and the reason.
    """
    if model is None:
        return default_risk_matrix(tuple(severities))
    try:
        matrix = RiskMatrix.build(
            model.likelihood, model.impact, cells=model.cells,
            bands=[(b.level, b.max) for b in model.bands] if model.bands is not None else None,
            severity=model.severity)
    except InvalidValue as error:
        raise ValueError(f"risk.{error.field}: {error.reason}") from None
    if not model.severity:
        raise ValueError(f"risk.severity: map every risk level ({', '.join(matrix.levels)}) to a severity")
    for level, severity in model.severity.items():
        if severity not in severities:
            raise ValueError(f"risk.severity.{level}: unknown severity '{severity}' (defined: {', '.join(severities)})")
    return matrix


def priority_model(model: PriorityConfigModel | None) -> PriorityModel:
    """Weights computed from leadership's judgments; inconsistent judgments raise ValueError naming the
    consistency ratio and the pair to revisit."""
    if model is None:
        return default_priority_model()
    keys = [c.key for c in model.criteria]
    if len(set(keys)) != len(keys):
        raise ValueError("priority.criteria: keys must be unique")
    try:
        return PriorityModel.build(
            [Criterion(c.key, c.name) for c in model.criteria], model.judgments,
            [PriorityBand(b.priority, b.min_score) for b in model.bands], model.rating_min, model.rating_max)
    except InvalidValue as error:
        raise ValueError(f"priority.{error.field}: {error.reason}") from None
