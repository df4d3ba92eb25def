"""An incident whose risk assessment is as large as the rules allow, for the card size and escaping tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.assessment_cards import thread_card
from bot.locale import Translator
from incident.assessment import MAX_ASSESSORS, MAX_COMMENT, answer_assessment, request_assessment
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE


def longest_assessment_card(policy: OrganisationPolicy, incident: Incident, text: str) -> dict[str, Any]:
    """Every assessor (the most allowed, each named ``text``) answered with the longest comment: the reveal."""
    people = [Person(id=f"29:p{i}", name=f"{text[:60]} {i}") for i in range(MAX_ASSESSORS)]
    at = incident.declared_at
    request_assessment(incident, actor=ALICE, assessors=people, at=at)
    ratings = {c.key: policy.priority.rating_max for c in policy.priority.criteria}
    for person in people:
        answer_assessment(incident, assessor=person, likelihood="Likely", impact="Severe", ratings=ratings,
                          at=at + timedelta(minutes=1), policy=policy, comment=(text * 100)[:MAX_COMMENT])
    return thread_card(incident, policy, Translator("en"))
