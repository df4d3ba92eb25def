"""Playbooks in memory, passing the same contract tests as Table Storage."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

from incident.errors import ConcurrencyConflict, NotFound
from incident.playbook import AuditEvent, PlaybookVersion

_tags = itertools.count(1)


class MemoryPlaybookRepository:
    def __init__(self) -> None:
        self._versions: dict[tuple[str, int], PlaybookVersion] = {}
        self._audit: dict[str, list[AuditEvent]] = {}
        self._lock = asyncio.Lock()

    async def versions(self, service: str) -> list[PlaybookVersion]:
        return [v for (s, _), v in sorted(self._versions.items()) if s == service]

    async def current_versions(self, service: str) -> tuple[PlaybookVersion, ...]:
        return tuple(await self.versions(service))

    async def add_version(self, version: PlaybookVersion, event: AuditEvent) -> None:
        async with self._lock:
            if (version.service, version.version) in self._versions:
                raise ConcurrencyConflict(f"{version.service} v{version.version} was submitted meanwhile; try again")
            self._versions[(version.service, version.version)] = replace(version, reviews=(), tag="")
            self._audit.setdefault(version.service, []).append(event)

    async def save_reviews(self, version: PlaybookVersion, event: AuditEvent) -> None:
        async with self._lock:
            stored = self._versions.get((version.service, version.version))
            if stored is None:
                raise NotFound(f"no playbook {version.service} v{version.version}")
            if stored.tag != version.tag:
                raise ConcurrencyConflict(f"{version.service} v{version.version} was reviewed meanwhile; try again")
            self._versions[(version.service, version.version)] = replace(stored, reviews=version.reviews,
                                                                          tag=f"mem-review-{next(_tags)}")
            self._audit.setdefault(version.service, []).append(event)

    async def audit(self, service: str) -> list[AuditEvent]:
        return list(self._audit.get(service, []))
