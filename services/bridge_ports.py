"""The port a meeting bridge is opened through (adapters/graph_meetings.py: Teams through Microsoft Graph)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class MeetingRooms(Protocol):
    async def open_meeting(self, subject: str, start: datetime, end: datetime) -> str:
        """A new online meeting; its join link. GraphError (a DevopsbotError) when refused or unreachable."""
        ...
