"""What the outside world may know of an incident: its public title and public updates, kept apart from the
internal title, updates and timeline, and the status page's components and their states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_PUBLIC_TEXT = 1000  # a status-page update is a paragraph, not a report
MAX_PUBLIC_UPDATES = 20  # kept on the incident (the timeline keeps them all)


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    text: str
    state: str  # the public state when posted: investigating, identified, monitoring or resolved


@dataclass(frozen=True)
class PublicFace:
    """Empty until a public update is posted: an incident nobody published is on no page."""

    title: str = ""  # "" : the page shows a neutral title, never the internal one
    updates: tuple[PublicUpdate, ...] = ()

    @property
    def published(self) -> bool:
        return bool(self.updates)


@dataclass(frozen=True)
class Component:
    """One of the organisation's services as the page names it."""

    key: str
    name: str
    group: str = ""


@dataclass(frozen=True)
class StatusPagePolicy:
    """``[status_page]`` of the organisation file."""

    title: str = "Service status"
    components: tuple[Component, ...] = ()
    final_update: str = "This incident has been resolved. Thank you for your patience."
    history_days: int = 90
    default_title: str = "Service disruption"  # shown when no public title was given
