"""The port of stored signals (incident.signals): each notification stored once, its repeats counted, and
the groups that tie later alerts to an incident."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from incident.signals import GroupOpen, StoredSignal


class SignalRepository(Protocol):
    async def record(self, stored: StoredSignal) -> tuple[bool, StoredSignal]:
        """Store the signal if its key is new: (True, it). Otherwise count one more delivery and return
        (False, the stored signal). A repeat costs at most two storage requests (a read and a conditional
        update, retried only when another delivery counted at the same moment), in the signal's own partition."""
        ...

    async def get(self, key: str) -> StoredSignal | None:
        """The signal stored under ``key`` (a point read), or None."""
        ...

    async def set_outcome(self, key: str, outcome: str, incident_id: str = "") -> None: ...

    async def release(self, key: str) -> None:
        """Forget a signal nothing was made of yet (acting on it failed), so the sender's retry acts again;
        a signal with an outcome stays."""
        ...

    async def since(self, at: datetime) -> list[StoredSignal]:
        """Signals received at or after ``at``, oldest first."""
        ...

    async def group(self, key: str) -> tuple[GroupOpen | None, str]:
        """The group's open incident and a tag for ``save_group`` ("" when there is none)."""
        ...

    async def save_group(self, key: str, group: GroupOpen, tag: str) -> None:
        """Store the group if it is unchanged since read with ``tag`` (""; not stored yet);
        ConcurrencyConflict otherwise."""
        ...
