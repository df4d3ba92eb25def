"""The bus commands alerts send to incidents, and what follows them: a timeline line that redraws the cards
(no new message per alert), and a word to the commander when an alert resolves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from incident import signal_changes as sc
from incident.model import Incident, TimelineEvent
from services.bus import Dependencies, Handler, Reaction
from services.handlers import change_incident
from services.ports import Alert


async def apply_alert_change(cmd: Any, deps: Dependencies) -> Incident:
    """Alerts act as devopsbot itself: no person's permission applies, the domain still decides."""
    now = deps.clock.now()
    if isinstance(cmd, sc.AttachSignal):
        incident, _ = await change_incident(deps, cmd.incident_id, lambda i: sc.attach_signal(i, cmd, at=now))
    else:
        incident, _ = await change_incident(deps, cmd.incident_id,
                                            lambda i: sc.note_resolved(i, cmd, at=now, policy=deps.policy))
    return incident


ALERT_HANDLERS: dict[type, Handler] = {sc.AttachSignal: apply_alert_change, sc.NoteSignalResolved: apply_alert_change}


def alert_reactions(refresh_cards: Reaction) -> dict[str, Sequence[Reaction]]:
    """A resolved alert redraws the cards (the ticked criterion shows) and tells the commander."""

    async def tell_commander(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
        for event in events:
            if event.kind != sc.RESOLVED_HINT:
                continue
            commander = incident.holder("commander")
            criterion = event.after.get("criterion", "")
            text = next((c.text for c in deps.policy.incident_type(incident.type).exit_criteria
                         if c.key == criterion), "")
            await deps.notifier.alert(incident, Alert("signal_resolved" if text else "signal_resolved_plain",
                                                      (commander,) if commander else (),
                                                      {"summary": event.summary, "criterion": text}))

    return {sc.RESOLVED_HINT: (refresh_cards, tell_commander)}
