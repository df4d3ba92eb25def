"""An incident's life in Teams: ``status``, ``list``, ``ack``, ``update``, ``assign``, ``severity``, ``resolve``
and ``reopen`` by text, and the incident card's buttons (acknowledge, update, severity, assign, resolve, the
plan's ticks, snooze and Teams' refresh of the viewer's own card)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.submissions import (
    AssignAction,
    IncidentAction,
    PlanTickAction,
    ResolveAction,
    SeverityAction,
    SnoozeAction,
    UpdateAction,
    parse_payload,
)
from bot.turns import Answer, Turns, actor_of, mentioned, which_incident
from bot.views import plan_card, resolve_card
from incident import commands
from incident.access import Action, require
from incident.errors import DomainError, InvalidValue, NotPermitted
from incident.model import Incident, Person
from incident.signal_changes import hinted_criteria
from services.handlers import open_incidents


class IncidentTeams:
    """The lifecycle's text commands and the incident card's verbs, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.bus = turns.bus
        self.deps = turns.deps

    # -- text commands ---------------------------------------------------------------------------------

    async def status(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        try:
            incident, _ = await self.turns.incident_for(turn_context, arguments)
        except InvalidValue:
            return which_incident(t)
        return Answer(card=self.turns.incident_card(incident, t, actor_of(turn_context)))

    async def listing(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        found = await open_incidents(self.deps)
        if not found:
            return Answer(text=t("reply.no_open"))
        me = actor_of(turn_context)
        lines = [f"- **{i.id}** [{i.severity}] {t(f'status.{i.status.value}')}: "
                 + (markdown_escape(i.title) if i.may_see(me, self.deps.policy.admins) else t("list.private"))
                 for i in found]
        return Answer(text=f"{t('reply.list_heading')}\n\n" + "\n".join(lines))

    async def ack(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            done = await self.bus.handle(commands.Acknowledge(incident.id, actor_of(turn_context)))
            return Answer(text=t("reply.acknowledged", id=done.id, who=markdown_escape(str(done.acknowledged_by))))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def update(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.update")))
            await self.bus.handle(commands.PostUpdate(incident.id, rest, actor_of(turn_context)))
            return Answer(text=t("reply.updated", id=incident.id))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def assign(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            role_word = rest.split(" ", 1)[0] if rest else ""
            people = mentioned(turn_context)
            if not role_word or not people:
                return Answer(text=t("reply.mention_someone"))
            role = self.deps.policy.role_named(role_word)
            await self.bus.handle(commands.AssignRole(incident.id, role.key, people[0], actor_of(turn_context)))
            return Answer(text=t("reply.assigned", role=role.name, id=incident.id,
                                 who=markdown_escape(people[0].name)))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def severity(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            level, _, reason = rest.partition(" ")
            if not level:
                return Answer(text=t("reply.usage", usage=t("usage.severity")))
            done = await self.bus.handle(commands.ChangeSeverity(incident.id, level, actor_of(turn_context), reason))
            return Answer(text=t("reply.severity", id=done.id, severity=done.severity))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def resolve_form(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
            return Answer(card=resolve_card(incident, self.deps.policy, t,
                                            values={"resolution": rest, **await self._hinted(incident)}))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def reopen(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.reopen")))
            await self.bus.handle(commands.Reopen(incident.id, rest, actor_of(turn_context)))
            return Answer(text=t("reply.reopened", id=incident.id, reason=markdown_escape(rest)))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    # -- the incident card's buttons ---------------------------------------------------------------------

    async def _card_change(self, turn_context: TurnContext, payload: IncidentAction, t: Translator,
                           command: Callable[[Incident, Person], Any]) -> Answer:
        incident = await self.turns.card_incident(payload)
        done = await self.bus.handle(command(incident, actor_of(turn_context)))
        return Answer(card=self.turns.incident_card(done, t, actor_of(turn_context)))

    async def card_ack(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(IncidentAction, data)
        return await self._card_change(turn_context, payload, t, lambda i, who: commands.Acknowledge(i.id, who))

    async def card_update(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(UpdateAction, data)
        return await self._card_change(turn_context, payload, t,
                                       lambda i, who: commands.PostUpdate(i.id, payload.text, who))

    async def card_severity(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(SeverityAction, data)
        return await self._card_change(turn_context, payload, t, lambda i, who: commands.ChangeSeverity(
            i.id, payload.severity, who, payload.reason))

    async def card_assign(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(AssignAction, data)
        incident = await self.turns.card_incident(payload)
        known = {p.id: p for p in (incident.declared_by, *incident.roles.values(), *incident.invitees)}
        known |= {m.id: m.person() for m in await self.turns.members(turn_context)}
        if payload.person not in known:
            return Answer(text=t("reply.mention_someone"))
        role = self.deps.policy.role_named(payload.role).key
        done = await self.bus.handle(commands.AssignRole(incident.id, role, known[payload.person],
                                                         actor_of(turn_context)))
        return Answer(card=self.turns.incident_card(done, t, actor_of(turn_context)))

    async def card_resolve_form(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        incident = await self.turns.card_incident(parse_payload(IncidentAction, data))
        require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
        return Answer(card=resolve_card(incident, self.deps.policy, t, values=await self._hinted(incident)))

    async def _hinted(self, incident: Incident) -> dict[str, Any]:
        """The exit criteria resolved alerts ticked start ticked on the form: a hint the person confirms."""
        return {"criteria_met": hinted_criteria(await self.deps.incidents.timeline(incident.id))}

    async def card_resolve(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(ResolveAction, data)
        incident = await self.turns.card_incident(payload)
        met = payload.met([c.key for c in self.deps.policy.incident_type(incident.type).exit_criteria])
        values: dict[str, Any] = {"criteria_met": met, "resolution": payload.resolution,
                                  "override_reason": payload.override_reason}
        if not incident.status.is_active:  # a second click on Resolve: show what is, not an error
            return Answer(card=self.turns.incident_card(incident, t, actor_of(turn_context)))
        try:
            done = await self.bus.handle(commands.Resolve(incident.id, payload.resolution, actor_of(turn_context),
                                                          met, payload.override_reason))
        except InvalidValue as error:
            field = "resolution" if error.field == "resolution" else "override_reason"
            return Answer(card=resolve_card(incident, self.deps.policy, t, values=values,
                                            errors={field: error.reason}))
        except DomainError as error:
            if isinstance(error, NotPermitted):
                raise
            return Answer(card=resolve_card(incident, self.deps.policy, t, values=values, notice=str(error)))
        return Answer(card=self.turns.incident_card(done, t, actor_of(turn_context)))

    async def card_snooze(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(SnoozeAction, data)
        incident = await self.turns.card_incident(payload)
        await self.bus.handle(commands.SnoozeReminders(incident.id, payload.minutes, actor_of(turn_context)))
        return Answer(text=t("reply.snoozed", id=incident.id, minutes=payload.minutes))

    async def card_refresh(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """Teams asks for a user's own view of the card: the managers see Change severity and Resolve."""
        incident = await self.turns.card_incident(parse_payload(IncidentAction, data))
        return Answer(card=self.turns.incident_card(incident, t, actor_of(turn_context)))

    async def card_plan_tick(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(PlanTickAction, data)
        incident = await self.turns.card_incident(payload)
        done = await self.bus.handle(commands.CompletePlanStep(incident.id, payload.step, actor_of(turn_context)))
        return Answer(card=plan_card(done, self.deps.policy, t))
