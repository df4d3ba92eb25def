"""The independent risk assessment in Teams: ``assess [minutes] [@person ...]`` in the incident's thread (or
the incident card's "Assess risk" button), each assessor's own form, and the commander's Accept or Override
on the reveal. ``assess accept`` and ``assess override <severity> <priority> <reason>`` do the same by text.

Asking and deciding are for those who manage the incident; the domain lets only the people asked answer
(incident/assessment.py). The cards are in bot/assessment_cards.py.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Annotated, Any

from botbuilder.core import TurnContext
from pydantic import ConfigDict, Field

from adapters.templates import markdown_escape
from bot.assessment_cards import form_card, personal_card, revealed_card
from bot.locale import Translator
from bot.submissions import IncidentAction, PayloadError, parse_payload
from bot.turns import Answer, Turns, actor_of, mentioned
from incident import commands
from incident.errors import InvalidValue, NotPermitted
from incident.model import Incident, Person

Level = Annotated[str, Field(max_length=60)]


class AssessmentAction(IncidentAction):
    round: Annotated[int, Field(ge=1, le=9999)]
    change: bool = False  # "Change my answer": the form again, filled in


class AnswerAction(AssessmentAction):
    """The form's answer; each criterion's rating arrives as ``rating_<key>``, kept here as extra keys."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    likelihood: Level = ""
    impact: Level = ""
    comment: Annotated[str, Field(max_length=1000)] = ""

    def ratings(self, keys: list[str]) -> dict[str, float]:
        extra = self.model_extra or {}
        found: dict[str, float] = {}
        for key in keys:
            given = str(extra.get(f"rating_{key}", "")).strip()
            if not given:
                continue  # the domain names every criterion left unrated
            try:
                found[key] = float(given)
            except ValueError:
                raise PayloadError(f"rating_{key}: '{given[:20]}' is not a number") from None
        return found


class DecideAction(AssessmentAction):
    severity: Annotated[str, Field(max_length=20)] = ""
    priority: Annotated[str, Field(max_length=20)] = ""
    reason: Annotated[str, Field(max_length=1000)] = ""


def default_assessors(incident: Incident) -> tuple[Person, ...]:
    """The incident's role holders, each once, in the order of the roles."""
    return tuple({p.id: p for p in incident.roles.values()}.values())


class AssessmentTeams:
    """The assessment's command and card actions, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            words = rest.split()
            actor = actor_of(turn_context)
            if words and words[0].lower() in ("accept", "override"):
                return await self._decide_by_text(incident, words, actor, t)
            # ASCII digits only ("²" is a digit to str.isdigit) and bounded before any arithmetic on it.
            minutes = int(words[0]) if words and re.fullmatch(r"[0-9]{1,5}", words[0]) else None
            people = tuple(mentioned(turn_context)) or default_assessors(incident) or (actor,)
            done = await self.turns.bus.handle(commands.RequestAssessment(incident.id, people, actor, minutes))
            return Answer(text=self._asked_text(done, t))

        return await self.turns.with_incident(turn_context, arguments, t, act)

    @staticmethod
    def _asked_text(incident: Incident, t: Translator) -> str:
        assessment = incident.assessment
        assert assessment is not None
        return t("reply.assess_asked", round=assessment.round, id=incident.id,
                 people=", ".join(markdown_escape(p.name) for p in assessment.assessors),
                 deadline=f"{assessment.deadline.astimezone(UTC):%H:%M}")

    async def _decide_by_text(self, incident: Incident, words: list[str], actor: Person, t: Translator) -> Answer:
        if incident.assessment is None:
            raise InvalidValue("assessment", f"{incident.id} has no risk assessment yet: ask with 'assess'")
        if words[0].lower() == "accept":
            command = commands.DecideAssessment(incident.id, incident.assessment.round, True, actor)
        else:
            if len(words) < 4:
                return Answer(text=t("reply.usage", usage=t("usage.assess")))
            command = commands.DecideAssessment(incident.id, incident.assessment.round, False, actor,
                                                severity=words[1], priority=words[2], reason=" ".join(words[3:]))
        done = await self.turns.bus.handle(command)
        return Answer(card=revealed_card(done, self.turns.deps.policy, t))

    async def request_from_card(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """The incident card's "Assess risk": the role holders are asked, and the card comes back as it was."""
        payload = parse_payload(IncidentAction, data)
        incident = await self.turns.deps.incidents.get(payload.incident_id.upper())
        actor = actor_of(turn_context)
        done = await self.turns.bus.handle(commands.RequestAssessment(
            incident.id, default_assessors(incident) or (actor,), actor))
        return Answer(card=self.turns.incident_card(done, t, actor))

    async def show(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """The viewer's own view (Teams' refresh, or the "Give my assessment" button)."""
        payload = parse_payload(AssessmentAction, data)
        incident = await self.turns.deps.incidents.get(payload.incident_id.upper())
        viewer = actor_of(turn_context)
        assessment = incident.assessment
        policy = self.turns.deps.policy
        if not incident.may_see(viewer, policy.admins):  # a security incident's assessment is for its people
            raise NotPermitted(f"{incident.id} is a security incident; its assessment is for its people only")
        if payload.change and assessment is not None and assessment.is_open and assessment.is_assessor(viewer):
            return Answer(card=form_card(incident, policy, t, viewer))
        return Answer(card=personal_card(incident, policy, t, viewer))

    async def answer(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(AnswerAction, data)
        actor = actor_of(turn_context)
        policy = self.turns.deps.policy
        command = commands.AnswerAssessment(
            payload.incident_id.upper(), payload.round, payload.likelihood, payload.impact,
            payload.ratings([c.key for c in policy.priority.criteria]), actor, payload.comment)
        try:
            done = await self.turns.bus.handle(command)
        except InvalidValue as error:  # a level or rating missing: the form again, with what was chosen
            incident = await self.turns.deps.incidents.get(command.incident_id)
            return Answer(card=form_card(incident, policy, t, actor, notice=markdown_escape(str(error))))
        return Answer(card=personal_card(done, policy, t, actor))

    async def accept(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(AssessmentAction, data)
        done = await self.turns.bus.handle(commands.DecideAssessment(
            payload.incident_id.upper(), payload.round, True, actor_of(turn_context)))
        return Answer(card=revealed_card(done, self.turns.deps.policy, t))

    async def override(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(DecideAction, data)
        done = await self.turns.bus.handle(commands.DecideAssessment(
            payload.incident_id.upper(), payload.round, False, actor_of(turn_context), severity=payload.severity,
            priority=payload.priority, reason=payload.reason))
        return Answer(card=revealed_card(done, self.turns.deps.policy, t))
