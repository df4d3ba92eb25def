"""``invite @person ...`` and ``priority P2 [why]`` in Teams: people brought in after the declaration, and the
priority set by hand (incident/invitations.py). ``priority`` alone lists the organisation's levels."""

from __future__ import annotations

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.turns import Answer, Turns, actor_of, mentioned
from incident.errors import InvalidValue
from incident.invitations import ChangePriority, InvitePeople
from incident.model import Incident


class HandTeams:
    """The invite and priority commands, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.deps = turns.deps

    async def invite(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            people = list(dict.fromkeys(mentioned(turn_context)))
            if not people:
                return Answer(text=t("reply.usage", usage=t("usage.invite")))
            # The conversation's own record of each person carries their email: the fallback when Teams fails.
            known = {m.id: m.person() for m in await self.turns.members(turn_context)}
            invited = tuple(known.get(p.id, p) for p in people)
            await self.turns.bus.handle(InvitePeople(incident.id, invited, actor_of(turn_context)))
            return Answer(text=t("reply.invited", id=incident.id,
                                 people=", ".join(markdown_escape(p.name) for p in invited)))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    def levels(self, t: Translator, incident: Incident | None = None, unknown: str = "") -> Answer:
        """The organisation's priority levels and how to set one; the incident's own first, when there is one."""
        names = self.known()
        first = t("priority.unknown", given=markdown_escape(unknown[:40])) + " " if unknown else ""
        if incident is not None:
            first += t("priority.current", id=incident.id, priority=incident.priority or t("priority.none")) + " "
        return Answer(text=f"{first}{t('priority.levels', levels=', '.join(names))}\n\n{t('priority.how')}")

    def known(self) -> list[str]:
        return sorted(band.priority for band in self.deps.policy.priority.bands)

    async def priority(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            level, _, reason = rest.partition(" ")
            if not level:
                return self.levels(t, incident)
            if level.strip().upper() not in self.known():
                return self.levels(t, incident, unknown=level)
            done = await self.turns.bus.handle(ChangePriority(incident.id, level, actor_of(turn_context),
                                                              reason.strip()))
            return Answer(text=t("reply.priority", id=done.id, priority=done.priority))

        if not arguments.strip():
            try:
                incident, _ = await self.turns.incident_for(turn_context, arguments)
            except InvalidValue:
                return self.levels(t)
            return self.levels(t, incident)
        return await self.turns.with_incident(turn_context, arguments, t, act)
