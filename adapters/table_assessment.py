"""How an incident's risk assessment is kept in Table Storage: one row in the incident's partition
(``{id}~assessment``), written in the incident's own transaction, read only when the summary row's
``Assessment`` flag says there is one. Answers are in this row, never in the summary or the timeline,
until the reveal.

The answers are a JSON property: at most 15 assessors with 1,000-character comments stay well below
Table Storage's 64 KiB per property.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from adapters.table_entities import person_data, person_of, utc
from incident.assessment import Assessment, AssessmentAnswer, AssessmentOutcome
from incident.model import Incident

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient


def assessment_row(incident_id: str) -> str:
    return f"{incident_id}~assessment"


def _time(value: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if value else None


def to_data(assessment: Assessment) -> dict[str, Any]:
    outcome = assessment.outcome
    return {
        "round": assessment.round, "requested_by": person_data(assessment.requested_by),
        "requested_at": assessment.requested_at.isoformat(), "deadline": assessment.deadline.isoformat(),
        "assessors": [person_data(p) for p in assessment.assessors],
        "answers": [{"assessor": person_data(a.assessor), "likelihood": a.likelihood, "impact": a.impact,
                     "ratings": dict(a.ratings), "comment": a.comment, "answered_at": a.answered_at.isoformat()}
                    for a in assessment.answers],
        "revealed_at": assessment.revealed_at.isoformat() if assessment.revealed_at else None,
        "outcome": None if outcome is None else {**outcome.__dict__, "ratings": dict(outcome.ratings)},
        "decision": assessment.decision,
        "decided_by": person_data(assessment.decided_by) if assessment.decided_by else None,
        "decided_at": assessment.decided_at.isoformat() if assessment.decided_at else None,
        "decided_severity": assessment.decided_severity, "decided_priority": assessment.decided_priority,
        "reason": assessment.reason, "answer_history": assessment.answer_history,
    }


def from_data(data: Mapping[str, Any]) -> Assessment:
    outcome = data.get("outcome")
    requested_at, deadline = _time(data["requested_at"]), _time(data["deadline"])
    assert requested_at is not None and deadline is not None  # written with every assessment
    return Assessment(
        round=int(data["round"]), requested_by=person_of(data["requested_by"]), requested_at=requested_at,
        deadline=deadline, assessors=tuple(person_of(p) for p in data["assessors"]),
        answers=tuple(AssessmentAnswer(
            assessor=person_of(a["assessor"]), likelihood=a["likelihood"], impact=a["impact"],
            ratings={k: float(v) for k, v in a["ratings"].items()}, comment=a.get("comment", ""),
            answered_at=_time(a["answered_at"]) or requested_at) for a in data.get("answers", [])),
        revealed_at=_time(data.get("revealed_at")),
        outcome=AssessmentOutcome(**outcome) if outcome else None,
        decision=data.get("decision", ""),
        decided_by=person_of(data["decided_by"]) if data.get("decided_by") else None,
        decided_at=_time(data.get("decided_at")),
        decided_severity=data.get("decided_severity", ""), decided_priority=data.get("decided_priority", ""),
        reason=data.get("reason", ""), answer_history=int(data.get("answer_history", 0)))


def assessment_entities(incident: Incident) -> list[dict[str, Any]]:
    """The assessment's row (none when nobody asked for one)."""
    if incident.assessment is None:
        return []
    return [{"PartitionKey": incident.id, "RowKey": assessment_row(incident.id),
             "Assessment": json.dumps(to_data(incident.assessment), ensure_ascii=False)}]


async def load(table: TableClient, incident: Incident) -> None:
    """One point read of the assessment row."""
    try:
        entity = await table.get_entity(incident.id, assessment_row(incident.id))
    except ResourceNotFoundError:
        return
    incident.assessment = from_data(json.loads(entity["Assessment"]))
