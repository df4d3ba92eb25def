"""A risk assessment is stored with its incident, in the incident's partition, on the fakes and on Azurite alike."""

from __future__ import annotations

from datetime import timedelta

from incident.assessment import answer_assessment, decide_assessment, request_assessment
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from tests.conftest import ALICE, BOB
from tests.unit.test_incident_lifecycle import T0, declare

RATINGS = {"customer_impact": 4.0, "security": 2.0, "revenue": 3.0, "reputation": 3.5, "productivity": 1.0}


async def test_asked_answered_and_decided_assessments_read_back_field_for_field(deps: Dependencies,
                                                                               policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    incident.event_count, incident.pending = 0, list(incident.just_stored or [])
    await deps.incidents.add(incident)
    asked = await deps.incidents.get(incident.id)
    request_assessment(asked, actor=ALICE, assessors=[ALICE, BOB], at=T0)
    answer_assessment(asked, assessor=BOB, likelihood="Likely", impact="Major", ratings=RATINGS,
                      at=T0 + timedelta(minutes=1), policy=policy, comment="« unicode » and \"quotes\"")
    await deps.incidents.save(asked)
    stored = await deps.incidents.get(incident.id)
    assert stored.assessment == asked.assessment  # the unrevealed answer is kept, in the incident's partition

    answer_assessment(stored, assessor=Person(ALICE.id, ALICE.name), likelihood="Possible", impact="Major",
                      ratings=RATINGS, at=T0 + timedelta(minutes=2), policy=policy)
    decide_assessment(stored, actor=ALICE, at=T0 + timedelta(minutes=3), policy=policy, accept=True)
    await deps.incidents.save(stored)
    decided = await deps.incidents.get(incident.id)
    assert decided.assessment == stored.assessment
    assert decided.assessment is not None and decided.assessment.outcome is not None
    assert decided.assessment.decision == "accepted" and decided.priority == stored.priority
