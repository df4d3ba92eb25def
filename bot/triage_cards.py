"""Triage cards on Teams (services.triage_ports): a new thread in the incidents (broadcast) channel the first
time, the same message updated in place after. The card's message is remembered under ``triage-<card id>``."""

from __future__ import annotations

from bot.locale import Translator
from bot.references import reference_from_dict, reference_to_dict
from bot.setup import TeamsSetup
from bot.teams_connector import TeamsConnector
from bot.triage_card import triage_card
from incident.errors import NotificationFailed
from services.ports import ConversationReferenceRepository
from services.triage_ports import TriageCard


class TeamsTriageCards:
    def __init__(self, teams: TeamsConnector, conversations: ConversationReferenceRepository,
                 setup: TeamsSetup) -> None:
        self._teams = teams
        self._conversations = conversations
        self._setup = setup

    async def show(self, card: TriageCard) -> None:
        activity = self._teams.card_activity(triage_card(card, Translator(None)))
        place = f"triage-{card.card_id}"
        posted = await self._conversations.get(place, "card")
        if posted is not None:
            await self._teams.update(reference_from_dict(posted["reference"]), posted["activity_id"], activity)
            return
        home = await self._conversations.get("teams", "home")
        if home is None:
            raise NotificationFailed("no team known yet: mention the bot once in the team's incidents channel")
        home_ref = reference_from_dict(home["reference"])
        channel = self._teams.channel_id(await self._teams.team_channels(home_ref, home["team_id"]),
                                         self._setup.default_broadcast)
        reference, activity_id = await self._teams.new_thread(home_ref, channel, activity)
        await self._conversations.put(place, "card", {"reference": reference_to_dict(reference),
                                                      "activity_id": activity_id})
