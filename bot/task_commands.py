"""Tasks in Teams: ``task <text> [@owner] [by 10:30 | in 30m | ISO]``, ``task done <n>``, ``task reassign <n>
@person``, ``followup <text> [@owner] [due]`` on a resolved incident, and the incident card's Done and Reassign
buttons. The owner is the person @mentioned, else whoever wrote it; times are read in the organisation's zone."""

from __future__ import annotations

from typing import Annotated, Any

from botbuilder.core import TurnContext
from pydantic import Field

from adapters.templates import markdown_escape
from bot.commands import without_mention_tags
from bot.locale import Translator
from bot.submissions import IncidentAction, parse_payload
from bot.turns import Answer, Turns, actor_of, mentioned
from incident import postmortem_commands as pc
from incident import task_commands as tc
from incident.model import Incident, Person
from incident.tasks import MAX_DUE_TEXT, MAX_TASK_TEXT, shown_due, split_due, zone_of


class TaskAction(IncidentAction):
    number: Annotated[int, Field(ge=1, le=999)]


class ReassignAction(TaskAction):
    task_owner: Annotated[str, Field(max_length=200)] = ""


def _number(word: str) -> int:
    return int(word.lstrip("#")) if word.lstrip("#").isdigit() and len(word) < 6 else 0


class TaskTeams:
    """The task commands and buttons, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.deps = turns.deps

    def _written(self, turn_context: TurnContext, incident: Incident, rest: str) -> tuple[str, Person, Any]:
        """What was written (mentions taken out), its owner (the first @mention, else the writer), its due time."""
        text = " ".join(without_mention_tags(rest[:MAX_TASK_TEXT * 4 + MAX_DUE_TEXT]).split())
        people = mentioned(turn_context)
        owner = people[0] if people else actor_of(turn_context)
        text, due = split_due(text, self.deps.clock.now(), zone_of(self.deps.policy, incident.severity))
        return text, owner, due

    def _due(self, incident: Incident, due: Any, t: Translator) -> str:
        return t("task.due", due=shown_due(due, zone_of(self.deps.policy, incident.severity))) if due else ""

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            word, _, tail = rest.partition(" ")
            actor = actor_of(turn_context)
            if word.lower() in ("done", "fait") and (number := _number(tail.strip())):
                await self.turns.bus.handle(tc.CompleteTask(incident.id, number, actor))
                return Answer(text=t("reply.task_done", id=incident.id, number=number))
            if word.lower() in ("reassign", "réassigner"):
                number, people = _number(tail.strip().split(" ")[0]), mentioned(turn_context)
                if not number or not people:
                    return Answer(text=t("reply.usage", usage=t("usage.task")))
                await self.turns.bus.handle(tc.ReassignTask(incident.id, number, people[0], actor))
                return Answer(text=t("reply.task_reassigned", id=incident.id, number=number,
                                     owner=markdown_escape(people[0].name)))
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.task")))
            text, owner, due = self._written(turn_context, incident, rest)
            done = await self.turns.bus.handle(tc.AddTask(incident.id, text, owner, actor, due_at=due))
            return Answer(text=t("reply.task_added", id=done.id, number=done.tasks[-1].number,
                                 owner=markdown_escape(owner.name), due=self._due(done, due, t)))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def follow_up(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        """``followup <text> [@owner] [due]``: a follow-up of a resolved incident, postmortem or not."""
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.followup")))
            text, owner, due = self._written(turn_context, incident, rest)
            done = await self.turns.bus.handle(pc.AddFollowUp(incident.id, text, owner, actor_of(turn_context),
                                                              due_at=due))
            added = done.follow_ups[-1]
            return Answer(text=t("reply.followup_added", id=done.id, number=added.number,
                                 owner=markdown_escape(owner.name), due=self._due(done, added.due_at, t)))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def card_done(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(TaskAction, data)
        done = await self.turns.bus.handle(tc.CompleteTask(payload.incident_id.upper(), payload.number,
                                                           actor_of(turn_context)))
        return Answer(card=self.turns.incident_card(done, t, actor_of(turn_context)))

    async def card_reassign(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """The picker offers the incident's people and this conversation's members; nobody else."""
        payload = parse_payload(ReassignAction, data)
        incident = await self.turns.card_incident(payload)
        known = {p.id: p for p in (incident.declared_by, *incident.roles.values(), *incident.invitees,
                                   *(task.owner for task in incident.tasks))}
        known |= {m.id: m.person() for m in await self.turns.members(turn_context)}
        if payload.task_owner not in known:
            return Answer(text=t("reply.mention_someone"))
        done = await self.turns.bus.handle(tc.ReassignTask(incident.id, payload.number, known[payload.task_owner],
                                                           actor_of(turn_context)))
        return Answer(card=self.turns.incident_card(done, t, actor_of(turn_context)))
