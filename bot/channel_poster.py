"""Posts a card as a new thread in a named channel of the organisation's team (the leadership digest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.notifier import TeamsNotifier
from bot.references import reference_from_dict
from incident.errors import NotificationFailed
from services.ports import ConversationReferenceRepository


class TeamsChannelPoster:
    """Uses the Teams notifier's channel lookup and thread creation (same retries and pacing)."""

    def __init__(self, notifier: TeamsNotifier, conversations: ConversationReferenceRepository) -> None:
        self._notifier = notifier
        self._conversations = conversations

    async def post_card(self, channel: str, card: Mapping[str, Any]) -> None:
        home = await self._conversations.get("teams", "home")
        if home is None:
            raise NotificationFailed("no team known yet: mention the bot once in the team's incidents channel")
        reference = reference_from_dict(home["reference"])
        channels = await self._notifier.team_channels(reference, home["team_id"])
        channel_id = self._notifier.channel_id(channels, channel)
        await self._notifier.new_thread(reference, channel_id, self._notifier.card_activity(dict(card)))
