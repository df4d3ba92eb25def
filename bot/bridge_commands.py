"""``bridge`` and the card's "Open a bridge": the incident's meeting link, or a meeting opened now; when none
can be opened, why, with the plan's phone bridge (services/bridge.py)."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.locale import Translator
from bot.submissions import IncidentAction, parse_payload
from bot.turns import Answer, Turns, actor_of
from incident.access import Action, require
from incident.bridge import phone_bridge
from incident.model import Incident
from services.bridge import BUSY, ensure_bridge


class BridgeTeams:
    """The bridge's text command and card verb, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            return await self._bridge(turn_context, incident, t)
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def card(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        incident = await self.turns.card_incident(parse_payload(IncidentAction, data))
        return await self._bridge(turn_context, incident, t)

    async def _bridge(self, turn_context: TurnContext, incident: Incident, t: Translator) -> Answer:
        """Only who may see the incident hears of its bridge (a private incident's link is for its people)."""
        deps = self.turns.bus.dependencies  # the bus's own: the stored link's reactions go through it
        require(incident, Action.SEE, actor_of(turn_context), deps.policy.admins)
        outcome = await ensure_bridge(deps, incident)
        if outcome.url:
            return Answer(text=t("reply.bridge", id=incident.id, url=outcome.url))
        if outcome.reason == BUSY:
            return Answer(text=t("reply.bridge_busy", id=incident.id))
        phone = phone_bridge(incident, deps.policy) or "-"
        return Answer(text=t(f"alert.bridge_{outcome.reason}", id=incident.id, phone=phone, who="").strip())
