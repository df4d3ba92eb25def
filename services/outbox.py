"""The outbox: a stored change is always followed by its reactions, even across a crash.

Every save writes, in the same transaction as its events, an outbox entry (see the repositories).
Before a save, the handler makes sure a sweep of the incident's outbox is due a few minutes later;
normally the reactions have run and cleared the entry by then and the sweep finds nothing. After a
crash the sweep runs what is left. ``DELIVERY_KEY`` names the notification being sent (reaction and
save, or timer item), so a fallback email for it goes out once however often it is retried.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timedelta

from services.ports import DueItem, DueWorkRepository

OUTBOX_SWEEP = "outbox_sweep"
SWEEP_BUCKET = timedelta(minutes=5)
SWEEP_DELAY = timedelta(minutes=5)  # longer than reactions normally take
MEMO_LIMIT = 10_000

DELIVERY_KEY: ContextVar[str] = ContextVar("delivery_key", default="")


class OutboxSweeps:
    """Schedules one sweep per incident per five-minute bucket; remembers what this process scheduled
    so a burst of changes costs one write, not one each."""

    def __init__(self) -> None:
        self._scheduled: set[tuple[str, datetime]] = set()

    async def ensure(self, due_work: DueWorkRepository, incident_id: str, now: datetime) -> None:
        bucket = datetime.fromtimestamp(now.timestamp() // SWEEP_BUCKET.total_seconds()
                                        * SWEEP_BUCKET.total_seconds(), now.tzinfo)
        due = bucket + SWEEP_BUCKET + SWEEP_DELAY  # at least SWEEP_DELAY after any save in the bucket
        if (incident_id, due) in self._scheduled:
            return
        await due_work.schedule(DueItem(OUTBOX_SWEEP, incident_id, due))
        if len(self._scheduled) >= MEMO_LIMIT:
            self._scheduled.clear()
        self._scheduled.add((incident_id, due))
