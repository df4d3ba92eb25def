"""What follows a risk-assessment change once stored: the deadline becomes due work, and the timer reveals
what is in when it passes. The cards themselves are kept true by the notifier, like every other card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from incident import commands
from incident.model import Incident, TimelineEvent
from services.ports import Alert, DueItem
from services.timer_work import Next, Work

if TYPE_CHECKING:
    from services.bus import Dependencies, MessageBus, Reaction

ASSESSMENT_DEADLINE = "assessment_deadline"


async def schedule_assessment_deadline(incident: Incident, events: Sequence[TimelineEvent],
                                       deps: Dependencies) -> None:
    """The reveal at the deadline, whoever has not answered by then."""
    assessment = incident.assessment
    if assessment is not None and assessment.is_open:
        await deps.due_work.schedule(DueItem(ASSESSMENT_DEADLINE, incident.id, assessment.deadline,
                                             {"round": str(assessment.round)}))


async def tell_commander_revealed(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The commander is @mentioned: the proposal waits for them to accept or override it."""
    assessment = incident.assessment
    if assessment is None or assessment.outcome is None or assessment.decision:
        return
    commander = incident.holder("commander")
    await deps.notifier.alert(incident, Alert("assessment_revealed", (commander,) if commander else (), {
        "round": str(assessment.round), "level": assessment.outcome.level,
        "severity": assessment.outcome.severity or incident.severity, "priority": assessment.outcome.priority}))


async def reveal_when_due(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    """Items are hints: a round already revealed (every answer in) or replaced needs nothing."""
    assessment = incident.assessment
    wanted = str(item.payload.get("round", ""))
    if assessment is None or not assessment.is_open or wanted != str(assessment.round):
        return Next()
    if now < assessment.deadline:  # a deadline moved later would have its own item; this one is early
        return Next((DueItem(ASSESSMENT_DEADLINE, incident.id, assessment.deadline, dict(item.payload)),))
    await bus.handle(commands.RevealAssessment(incident.id, assessment.round))
    return Next()


def assessment_reactions(refresh_cards: Reaction) -> dict[str, Sequence[Reaction]]:
    """Event kind → what follows; each also refreshes the cards, which posts or updates the assessment card."""
    return {
        "assessment_requested": (refresh_cards, schedule_assessment_deadline),
        "assessment_revealed": (refresh_cards, tell_commander_revealed),
    }


ASSESSMENT_WORK: dict[str, Work] = {ASSESSMENT_DEADLINE: reveal_when_due}
