"""The published status page in memory: the files and every request made, and the records of published
incidents it is built from; for tests and anything else that wants the page without storage."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from incident.errors import ConcurrencyConflict
from incident.maintenance import MaintenanceWindow
from incident.status_page import PublicRecord
from services.status_page_ports import PublishedFile


@dataclass
class MemoryStatusFiles:
    files: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "list", "upload <name>"
    _known: dict[str, PublishedFile] = field(default_factory=dict)
    _tags: itertools.count[int] = field(default_factory=itertools.count)

    async def listing(self) -> dict[str, PublishedFile]:
        self.requests.append("list")
        return dict(self._known)

    async def upload(self, name: str, content: bytes, content_type: str, sha256: str,
                     expected: PublishedFile | None) -> None:
        self.requests.append(f"upload {name}")
        if self._known.get(name) != expected:
            raise ConcurrencyConflict(f"{name} was published by someone else meanwhile")
        self.files[name], self.content_types[name] = content, content_type
        self._known[name] = PublishedFile(sha256, str(next(self._tags)))

    async def close(self) -> None:
        return None


@dataclass
class MemoryPublicRecords:
    records: dict[str, PublicRecord] = field(default_factory=dict)

    async def put(self, record: PublicRecord) -> None:
        kept = self.records.get(record.id)
        if kept is None or kept.version < record.version:
            self.records[record.id] = record

    async def remove(self, incident_id: str) -> None:
        self.records.pop(incident_id, None)

    async def all(self) -> list[PublicRecord]:
        return list(self.records.values())


@dataclass
class MemoryMaintenanceWindows:
    windows: dict[str, MaintenanceWindow] = field(default_factory=dict)

    async def put(self, window: MaintenanceWindow) -> None:
        self.windows[window.id] = window

    async def get(self, window_id: str) -> MaintenanceWindow | None:
        return self.windows.get(window_id)

    async def remove(self, window_id: str) -> None:
        self.windows.pop(window_id, None)

    async def all(self) -> list[MaintenanceWindow]:
        return list(self.windows.values())
