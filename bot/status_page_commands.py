"""The status page in Teams: ``public <text>`` posts a public update (apart from internal updates) and
``public-title <text>`` sets the title the page shows; a private incident is refused before anything else."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import TurnContext

from bot.locale import Translator
from bot.turns import Answer, Turns, actor_of
from incident import commands
from incident.model import Incident, Person


class PublicTeams:
    """``public`` and ``public-title``, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    async def _publish(self, turn_context: TurnContext, arguments: str, t: Translator, usage: str, done: str,
                       command: Callable[[Incident, str, Person], object]) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if incident.private:  # said before any rule on who may: nothing of it is ever published
                return Answer(text=t("reply.public_private", id=incident.id))
            if not rest:
                return Answer(text=t("reply.usage", usage=t(usage)))
            await self.turns.bus.handle(command(incident, rest, actor_of(turn_context)))
            return Answer(text=t(done, id=incident.id))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def update(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._publish(turn_context, arguments, t, "usage.public", "reply.public_posted",
                                   lambda i, text, who: commands.PostPublicUpdate(i.id, text, who))

    async def title(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._publish(turn_context, arguments, t, "usage.public_title", "reply.public_title",
                                   lambda i, text, who: commands.SetPublicTitle(i.id, text, who))
