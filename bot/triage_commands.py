"""The triage card's buttons: Declare, Attach (to the incident chosen on the card) and Dismiss. Anyone who sees
the incidents channel may decide, as anyone may declare; the first decision stands (services.alert_triage)
and the audit log names who made it. The clicked card is answered with the card as it now stands."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.locale import Translator
from bot.triage_card import triage_card
from bot.turns import Answer, Turns, actor_of, guarded
from incident.errors import NotFound
from services.alert_triage import decide

MAX_KEY = 4000


class TriageTeams:
    def __init__(self, turns: Turns) -> None:
        self._turns = turns

    async def declare(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return await self._decide(turn_context, data, t, "declare")

    async def attach(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return await self._decide(turn_context, data, t, "attach")

    async def dismiss(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return await self._decide(turn_context, data, t, "dismiss")

    async def _decide(self, turn_context: TurnContext, data: dict[str, Any], t: Translator, choice: str) -> Answer:
        async def work() -> Answer:
            key, incident_id = data.get("signal"), data.get("incident_id", "")
            if not isinstance(key, str) or not key or len(key) > MAX_KEY or not isinstance(incident_id, str):
                raise NotFound("this card names no alert")
            card = await decide(self._turns.bus, key, choice, actor_of(turn_context), incident_id.strip()[:40])
            return Answer(card=triage_card(card, t))

        return await guarded(work, t)
