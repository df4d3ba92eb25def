"""Stored signals in memory: the same contract as adapters.table_signals, for tests and `run --memory`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from incident.errors import ConcurrencyConflict
from incident.signals import GroupOpen, StoredSignal


class MemorySignalRepository:
    """No await inside a check-and-set: within one event loop each is atomic."""

    def __init__(self) -> None:
        self._signals: dict[str, StoredSignal] = {}
        self._groups: dict[str, tuple[GroupOpen, int]] = {}

    async def record(self, stored: StoredSignal) -> tuple[bool, StoredSignal]:
        key = stored.signal.key
        existing = self._signals.get(key)
        if existing is None:
            self._signals[key] = stored
            return True, stored
        counted = replace(existing, deliveries=existing.deliveries + 1)
        self._signals[key] = counted
        return False, counted

    async def get(self, key: str) -> StoredSignal | None:
        return self._signals.get(key)

    async def set_outcome(self, key: str, outcome: str, incident_id: str = "") -> None:
        if key in self._signals:
            self._signals[key] = replace(self._signals[key], outcome=outcome, incident_id=incident_id)

    async def release(self, key: str) -> None:
        if key in self._signals and not self._signals[key].outcome:
            del self._signals[key]

    async def since(self, at: datetime) -> list[StoredSignal]:
        return sorted((s for s in self._signals.values() if s.signal.received_at >= at),
                      key=lambda s: s.signal.received_at)

    async def group(self, key: str) -> tuple[GroupOpen | None, str]:
        found = self._groups.get(key)
        return (found[0], str(found[1])) if found else (None, "")

    async def save_group(self, key: str, group: GroupOpen, tag: str) -> None:
        found = self._groups.get(key)
        if (str(found[1]) if found else "") != tag:
            raise ConcurrencyConflict(f"the alert group {key!r} changed meanwhile")
        self._groups[key] = (group, (found[1] if found else 0) + 1)
