"""The port of triage cards (services.alert_triage): one card per triaged alert in the incidents (broadcast)
channel, posted once and then redrawn in place (the repeat count, the decision), never posted twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class TriageCard:
    """What a triage card shows. ``decision`` empty: undecided, with buttons; otherwise what happened
    (declared, attached, dismissed, expired, resolved), by whom, and the incident, without buttons."""

    signal_key: str  # the firing signal the card is about (the buttons carry it)
    card_id: str  # a storage-safe name of the card (the signal key's digest)
    source: str
    summary: str
    service: str
    severity: str
    links: tuple[str, ...]
    deadline: datetime
    after_deadline: str  # "declare" or "dismiss"
    count: int = 1  # deliveries of the alert while the card is open
    open_incidents: tuple[tuple[str, str], ...] = ()  # (id, title) an alert may be attached to
    decision: str = ""
    decided_by: str = ""
    incident_id: str = ""


class TriageCards(Protocol):
    async def show(self, card: TriageCard) -> None:
        """Post the card in the incidents channel the first time, update that message in place after.
        NotificationFailed when Teams cannot be reached (the decision stands; the card catches up later)."""
        ...
