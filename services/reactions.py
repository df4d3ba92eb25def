"""What happens after a change is stored: deadlines scheduled, people told, cards kept true."""

from __future__ import annotations

from collections.abc import Sequence

from incident.model import Incident, TimelineEvent
from services.bus import Dependencies, Reaction
from services.ports import DueItem

ACK_DEADLINE = "ack_deadline"
STATUS_REMINDER = "status_reminder"


async def schedule_first_deadlines(incident: Incident, events: Sequence[TimelineEvent],
                                   deps: Dependencies) -> None:
    """The acknowledgement deadline and the first status-update reminder, from the severity's policy."""
    severity = deps.policy.severity(incident.severity)
    await deps.due_work.schedule(DueItem(ACK_DEADLINE, incident.id, incident.declared_at + severity.ack_timeout))
    await deps.due_work.schedule(DueItem(STATUS_REMINDER, incident.id,
                                         incident.declared_at + severity.update_cadence))


async def tell_declared(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_declared(incident)


async def refresh_cards(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Cards show the incident as stored now, not as it was when this reaction was scheduled."""
    await deps.notifier.incident_changed(await deps.incidents.get(incident.id), events)


async def tell_resolved(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_resolved(incident)


# Kinds of timeline event → what follows them; any other kind refreshes the cards.
REACTIONS: dict[str, Sequence[Reaction]] = {
    "declared": (schedule_first_deadlines, tell_declared),
    "resolved": (refresh_cards, tell_resolved),
}
DEFAULT_REACTIONS: Sequence[Reaction] = (refresh_cards,)
