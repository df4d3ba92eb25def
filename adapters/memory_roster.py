"""The roster in memory: rows and overrides per service, passing the same contract tests as Table Storage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from incident.errors import InvalidValue
from incident.roster import Override, RosterEntry, check_new_override
from services.ports import RosterPartition

MAX_TRANSACTION = 100  # Table Storage's limit of operations in one transaction, which an import must fit


class MemoryRosterRepository:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], RosterEntry] = {}
        self._overrides: dict[tuple[str, str, datetime], Override] = {}
        self._lock = asyncio.Lock()

    async def put(self, entry: RosterEntry) -> None:
        self._entries[(entry.service, entry.role)] = entry

    async def get(self, service: str, role: str) -> RosterEntry | None:
        return self._entries.get((service, role))

    async def for_service(self, service: str) -> list[RosterEntry]:
        return [e for (s, _), e in sorted(self._entries.items()) if s == service]

    async def delete(self, service: str, role: str) -> None:
        self._entries.pop((service, role), None)

    async def partition(self, service: str) -> RosterPartition:
        overrides = sorted((o for (s, _, _), o in self._overrides.items() if s == service),
                           key=lambda o: (o.role, o.start))
        return RosterPartition(service, tuple(await self.for_service(service)), tuple(overrides))

    async def partitions(self, services: Sequence[str]) -> list[RosterPartition]:
        return [await self.partition(s) for s in services]

    async def add_override(self, override: Override) -> None:
        async with self._lock:
            check_new_override(override, self._overrides.values())
            self._overrides[(override.service, override.role, override.start)] = override

    async def remove_override(self, service: str, role: str, start: datetime) -> None:
        self._overrides.pop((service, role, start), None)

    async def replace_service(self, service: str, entries: Sequence[RosterEntry],
                              overrides: Sequence[Override], *, now: datetime) -> None:
        async with self._lock:
            current = [o for o in overrides if o.end > now]
            self._check_size(service, entries, current)
            self._replace(service, entries, current)

    async def check_replace(self, service: str, entries: Sequence[RosterEntry],
                            overrides: Sequence[Override], *, now: datetime) -> None:
        self._check_size(service, entries, [o for o in overrides if o.end > now])

    async def restore_service(self, partition: RosterPartition) -> None:
        async with self._lock:
            self._replace(partition.service, partition.entries, partition.overrides)

    def _replace(self, service: str, entries: Sequence[RosterEntry], overrides: Sequence[Override]) -> None:
        for key in [k for k in self._entries if k[0] == service]:
            del self._entries[key]
        for okey in [k for k in self._overrides if k[0] == service]:
            del self._overrides[okey]
        for entry in entries:
            self._entries[(service, entry.role)] = entry
        for override in overrides:
            self._overrides[(service, override.role, override.start)] = override

    def _check_size(self, service: str, entries: Sequence[RosterEntry], overrides: Sequence[Override]) -> None:
        """Counts the changes as Table Storage's one transaction would: deletions, rows, override guards."""
        roles = {e.role for e in entries}
        starts = {(o.role, o.start) for o in overrides}
        deleted = sum(1 for s, role in self._entries if s == service and role not in roles)
        deleted += sum(1 for s, role, start in self._overrides if s == service and (role, start) not in starts)
        guarded = {role for s, role, _ in self._overrides if s == service} | {o.role for o in overrides}
        changes = deleted + len(entries) + len(overrides) + len(guarded)
        if changes > MAX_TRANSACTION:
            raise InvalidValue("roster", f"{service} would need {changes} changes at once; "
                                         f"the limit is {MAX_TRANSACTION}: split the file")
