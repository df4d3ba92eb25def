"""What a due item does when the timer tick reaches it: the contract between the tick (services/timers.py)
and the features that schedule work of their own (risk-assessment deadlines, postmortem reminders), so
neither imports the other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from incident.model import Incident
from services.bus import MessageBus
from services.ports import DueItem


@dataclass(frozen=True)
class Next:
    """What an item's work asks for afterwards: items to schedule (the successor of a repeating one)."""

    schedule: tuple[DueItem, ...] = ()


Work = Callable[[DueItem, Incident, MessageBus, datetime], Awaitable[Next]]
