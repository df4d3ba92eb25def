"""Where the public status page is published: static files in a store that needs no running app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from incident.maintenance import MaintenanceWindow
from incident.status_page import PublicRecord, StatusPage
from services.subscription_ports import Subscriptions
from services.subscription_tokens import SubscriptionSigner


@dataclass(frozen=True)
class PublishedFile:
    """A file as the store has it: the SHA-256 of its content, and the tag a conditional upload checks."""

    sha256: str
    tag: str


class StatusFiles(Protocol):
    async def listing(self) -> dict[str, PublishedFile]:
        """Every published file by name, in one request."""
        ...

    async def upload(self, name: str, content: bytes, content_type: str, sha256: str,
                     expected: PublishedFile | None) -> None:
        """Store ``content``, only if the file is still as ``expected`` (None: absent); otherwise raise
        ConcurrencyConflict: someone published after the listing, so the page is built again."""
        ...

    async def close(self) -> None: ...


class PublicRecords(Protocol):
    """One record per published incident (incident/status_page.py): what the page is built from."""

    async def put(self, record: PublicRecord) -> None:
        """Store ``record`` unless the one stored is as new or newer (its ``version``)."""
        ...

    async def remove(self, incident_id: str) -> None: ...

    async def all(self) -> list[PublicRecord]:
        """Every record, in one query (a page of a thousand)."""
        ...


class MaintenanceWindows(Protocol):
    """The scheduled maintenance windows (incident/maintenance.py), kept beside the public records."""

    async def put(self, window: MaintenanceWindow) -> None:
        """Store ``window``, replacing the one of the same id."""
        ...

    async def get(self, window_id: str) -> MaintenanceWindow | None: ...

    async def remove(self, window_id: str) -> None: ...

    async def all(self) -> list[MaintenanceWindow]:
        """Every window kept, in one query."""
        ...


Renderer = Callable[[StatusPage, int], Mapping[str, tuple[bytes, str]]]  # page, history days → name: (bytes, type)


class StatusPagePublishing:
    """Where the page goes and how it is rendered (adapters/status_files.py). The store is connected on the
    first publication, so its SDK is imported then and not at cold start. Stakeholder subscriptions
    (services/subscriptions.py) need ``subscriptions`` and ``signer``: without them the page has no form."""

    def __init__(self, connect: Callable[[], StatusFiles], records: Callable[[], PublicRecords],
                 render: Renderer, windows: Callable[[], MaintenanceWindows], *,
                 subscriptions: Callable[[], Subscriptions] | None = None,
                 signer: SubscriptionSigner | None = None) -> None:
        self._connect = connect
        self._records = records
        self._windows = windows
        self.render = render
        self._files: StatusFiles | None = None
        self._kept: PublicRecords | None = None
        self._subscriptions = subscriptions
        self._subscribers: Subscriptions | None = None
        self.signer = signer
        self._maintenance: MaintenanceWindows | None = None

    @property
    def subscriptions(self) -> Subscriptions | None:
        """None: subscriptions are off (no key to sign their links)."""
        if self._subscribers is None and self._subscriptions is not None and self.signer is not None:
            self._subscribers = self._subscriptions()
        return self._subscribers

    @property
    def maintenance(self) -> MaintenanceWindows:
        if self._maintenance is None:
            self._maintenance = self._windows()
        return self._maintenance

    @property
    def records(self) -> PublicRecords:
        if self._kept is None:
            self._kept = self._records()
        return self._kept

    @property
    def files(self) -> StatusFiles:
        if self._files is None:
            self._files = self._connect()
        return self._files

    async def close(self) -> None:
        if self._files is not None:
            await self._files.close()
