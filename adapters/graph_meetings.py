"""Teams meetings for incident bridges, organised by one account through Microsoft Graph (services/bridge_ports.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from adapters.graph import GraphClient

log = logging.getLogger(__name__)


class GraphMeetings:
    """``POST /users/{organizer}/onlineMeetings`` with the application permission OnlineMeetings.ReadWrite.All,
    which a Teams application access policy granted to ``organizer`` alone lets through."""

    def __init__(self, graph: GraphClient, organizer: str) -> None:
        self._graph, self._organizer = graph, organizer

    async def open_meeting(self, subject: str, start: datetime, end: datetime) -> str:
        return await self._graph.create_online_meeting(
            self._organizer, subject[:250], _instant(start), _instant(end))

    async def close(self) -> None:
        await self._graph.close()


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def meetings_for(graph: GraphClient | None, organizer: str, timeout_seconds: float) -> GraphMeetings | None:
    """The bridge's meetings, on a client of its own that gives up soon (people wait for the bridge; Graph's
    long retries would not do); None, said once in the log, without Graph or an organiser."""
    if graph is None or not organizer:
        log.info("incident bridges are not opened (no Microsoft Graph or DEVOPSBOT_BRIDGE_ORGANIZER); "
                 "cards show the response plan's phone bridge")
        return None
    return GraphMeetings(graph.limited(timeout=timeout_seconds, max_retries=1), organizer)
