"""Ports of the app's own operation: the audit log, whether Teams is usable, small stored values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

AUDIT_SAMPLES = 5  # details kept per counted minute: enough to see what was sent, bounded whatever arrives


@dataclass(frozen=True)
class AuditRecord:
    """Something refused or done outside an incident's timeline (a forged link, a mailbox message).

    A counted record (``AuditLog.count``) stands for ``count`` occurrences of ``kind`` in the minute
    starting at ``at``; ``samples`` are the details of the first few, and ``detail`` is the first's."""

    at: datetime
    kind: str
    detail: Mapping[str, str] = field(default_factory=dict)
    count: int = 1
    samples: tuple[Mapping[str, str], ...] = ()


class AuditLog(Protocol):
    async def record(self, entry: AuditRecord) -> None: ...

    async def count(self, entry: AuditRecord) -> None:
        """Add ``entry`` to its minute's count for its kind: one stored row per kind and minute whatever
        the number of entries, keeping the details of the first AUDIT_SAMPLES. For what anonymous callers
        can repeat at will (junk action links), so they cannot grow storage one row per request."""
        ...

    async def on_day(self, day: datetime) -> list[AuditRecord]:
        """The records of ``day``'s UTC date, oldest first (one partition per day)."""
        ...


@dataclass(frozen=True)
class TeamsStatus:
    down: bool
    manual: bool = False  # flagged (stays until cleared) rather than marked down by failures (ages out)
    reason: str = ""
    recent_failures: int = 0
    set_by: str = ""  # who flagged it: a person's name, or SERVICE_HEALTH
    issue: str = ""  # the Microsoft 365 service health issue it was flagged for; "" when a person flagged it


SERVICE_HEALTH = "Microsoft 365 service health"  # who flags Teams down for a service health issue


@dataclass(frozen=True)
class TeamsFlag:
    """The stored flag: Teams down (or not) until cleared, who set it, and for which service health issue."""

    down: bool = False
    by: str = ""
    reason: str = ""
    issue: str = ""


class TeamsHealth(Protocol):
    """Whether Teams is usable: an admin's flag, or enough recent connector failures."""

    async def status(self, now: datetime) -> TeamsStatus: ...

    async def record_failure(self, now: datetime, reason: str) -> None: ...

    async def record_success(self, now: datetime) -> None:
        """Teams answered: earlier failures no longer count."""
        ...

    async def set_down(self, now: datetime, by: str, reason: str) -> None: ...

    async def set_up(self, now: datetime, by: str) -> None: ...

    async def flag(self) -> tuple[TeamsFlag, str]:
        """The flag as stored and its concurrency tag ("" when none was ever stored)."""
        ...

    async def replace_flag(self, now: datetime, flag: TeamsFlag, tag: str) -> None:
        """Store ``flag`` if the stored one still has ``tag``; else ConcurrencyConflict. Clearing it also
        forgets earlier failures, as ``set_up`` does."""
        ...


class StateStore(Protocol):
    """Small named values kept between runs (the inbound mailbox's delta link)."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, value: str) -> None: ...
