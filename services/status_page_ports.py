"""Where the public status page is published: static files in a store that needs no running app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from incident.status_page import StatusPage


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


Renderer = Callable[[StatusPage, int], Mapping[str, tuple[bytes, str]]]  # page, history days → name: (bytes, type)


class StatusPagePublishing:
    """Where the page goes and how it is rendered (adapters/status_files.py). The store is connected on the
    first publication, so its SDK is imported then and not at cold start."""

    def __init__(self, connect: Callable[[], StatusFiles], render: Renderer) -> None:
        self._connect = connect
        self.render = render
        self._files: StatusFiles | None = None

    @property
    def files(self) -> StatusFiles:
        if self._files is None:
            self._files = self._connect()
        return self._files

    async def close(self) -> None:
        if self._files is not None:
            await self._files.close()
