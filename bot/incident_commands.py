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
    ResolveFormAction,
    SeverityAction,
    SnoozeAction,
    StatusAction,
    UpdateAction,
    parse_payload,
)
from bot.turns import Answer, Turns, actor_of, mentioned, which_incident
from bot.views import notice_card, plan_card, resolve_card
from incident import commands
from incident.access import Action, permits, require
from incident.errors import DomainError, InvalidValue, NotPermitted
from incident.lifecycle import PROGRESS, Status
from incident.model import Incident, Person
from incident.publishing import final_public_update
from incident.signal_changes import hinted_criteria
from services.handlers import active_and_resolved, open_incidents


class IncidentTeams:
    """The lifecycle's text commands and the incident card's verbs, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.bus = turns.bus
        self.deps = turns.deps

    # -- text commands ---------------------------------------------------------------------------------

    async def status(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        """``status``: the incident's card; ``status identified [why]``: the commander moves it."""
        try:
            incident, rest = await self.turns.incident_for(turn_context, arguments)
        except InvalidValue:
            return which_incident(t)
        if not rest:
            return Answer(card=self.turns.incident_card(incident, t, actor_of(turn_context)))
        word, _, reason = rest.partition(" ")
        target = next((s for s in PROGRESS if s.value == word.casefold()), None)
        if target is None:
            return Answer(text=t("reply.status_unknown", word=markdown_escape(word[:40])))
        return await self._move(turn_context, incident, target, reason.strip(), t)

    async def _move(self, turn_context: TurnContext, incident: Incident, target: Status, reason: str,
                    t: Translator) -> Answer:
        refusal = self._status_refusal(incident, target, actor_of(turn_context), t)
        if refusal:
            return Answer(text=refusal)
        done = await self.bus.handle(commands.ChangeStatus(incident.id, target, actor_of(turn_context), reason))
        return Answer(text=t("reply.status", id=done.id, status=t(f"status.{done.status.value}").lower()))

    def _status_refusal(self, incident: Incident, target: Status, me: Person, t: Translator) -> str:
        """Why ``me`` cannot move ``incident`` to ``target``, in a sentence; "" when they can."""
        if incident.status is target:
            return t("reply.status_same", id=incident.id, status=t(f"status.{target.value}").lower())
        if not incident.status.is_active:
            return t("reply.status_not_active", id=incident.id, status=t(f"status.{incident.status.value}").lower())
        admins = self.deps.policy.admins
        if not permits(incident, Action.CHANGE_STATUS, me, admins):
            commander = incident.holder("commander")
            if commander is None or not incident.may_see(me, admins):  # a private incident's people stay private
                return t("reply.status_refused_unnamed", id=incident.id)
            return t("reply.status_refused", id=incident.id, commander=markdown_escape(commander.name))
        return ""

    async def listing(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        found = await open_incidents(self.deps)
        if not found:
            return Answer(text=t("reply.no_open"))
        me = actor_of(turn_context)

        def lines(incidents: list[Incident]) -> str:
            return "\n".join(
                f"- **{i.id}** [{i.severity}] {t(f'status.{i.status.value}')}: "
                + (markdown_escape(i.title) if i.may_see(me, self.deps.policy.admins) else t("list.private"))
                for i in incidents)

        active, resolved = active_and_resolved(found)
        parts = [f"**{t('reply.list_heading')} ({len(active)})**\n\n{lines(active)}" if active
                 else t("reply.no_active")]
        if resolved:
            parts.append(f"**{t('reply.list_resolved')} ({len(resolved)})**\n\n{lines(resolved)}")
        return Answer(text="\n\n".join(parts))

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

    def severity_levels(self, t: Translator, incident: Incident | None = None) -> Answer:
        """The organisation's levels with their meaning, and how to change an incident's (``severity`` alone)."""
        levels = "\n".join(t("severity.level", name=s.name, description=markdown_escape(s.description))
                           for s in sorted(self.deps.policy.severities, key=lambda s: s.rank))
        current = t("severity.current", id=incident.id, severity=incident.severity) + " " if incident else ""
        return Answer(text=f"{current}{t('severity.levels')}\n\n{levels}\n\n{t('severity.how')}")

    async def severity(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        if not arguments.strip():
            try:
                incident, _ = await self.turns.incident_for(turn_context, arguments)
            except InvalidValue:
                return self.severity_levels(t)
            return self.severity_levels(t, incident)

        async def act(incident: Incident, rest: str) -> Answer:
            level, _, reason = rest.partition(" ")
            if not level:
                return self.severity_levels(t, incident)
            done = await self.bus.handle(commands.ChangeSeverity(incident.id, level, actor_of(turn_context), reason))
            return Answer(text=t("reply.severity", id=done.id, severity=done.severity))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def resolve_form(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
            return Answer(card=resolve_card(incident, self.deps.policy, t,
                                            values={"resolution": rest, **await self._hinted(incident)},
                                            standalone=True))
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

    async def card_status(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """A status button: the card moved; or a sentence saying why not (someone else's call, or over)."""
        payload = parse_payload(StatusAction, data)
        incident = await self.turns.card_incident(payload)
        refusal = self._status_refusal(incident, Status(payload.status), actor_of(turn_context), t)
        if refusal:
            return Answer(text=refusal)
        return await self._card_change(turn_context, payload, t, lambda i, who: commands.ChangeStatus(
            i.id, Status(payload.status), who))

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
        payload = parse_payload(ResolveFormAction, data)
        incident = await self.turns.card_incident(payload)
        require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
        return Answer(card=resolve_card(incident, self.deps.policy, t, values=await self._hinted(incident),
                                        standalone=payload.standalone))

    async def _hinted(self, incident: Incident) -> dict[str, Any]:
        """The exit criteria resolved alerts ticked start ticked on the form: a hint the person confirms."""
        return {"criteria_met": hinted_criteria(await self.deps.incidents.timeline(incident.id))}

    async def card_resolve(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(ResolveAction, data)
        incident = await self.turns.card_incident(payload)
        met = payload.met([c.key for c in self.deps.policy.incident_type(incident.type).exit_criteria])
        values: dict[str, Any] = {"criteria_met": met, "resolution": payload.resolution,
                                  "override_reason": payload.override_reason,
                                  "final_public_update": payload.final_public_update, **(payload.model_extra or {})}
        if not incident.status.is_active:  # a second click on Resolve: show what is, not an error
            return self._resolved(turn_context, incident, payload, t)
        try:
            final = final_public_update(incident, payload.final_public_update)
            done = await self.bus.handle(commands.Resolve(incident.id, payload.resolution, actor_of(turn_context),
                                                          met, payload.override_reason, tasks=payload.task_choices()))
            if final:
                done = await self.bus.handle(commands.PostPublicUpdate(incident.id, final, actor_of(turn_context)))
        except InvalidValue as error:
            if error.field.startswith(("task", "reason to drop")):  # a task's choice: said above the form
                return Answer(card=resolve_card(incident, self.deps.policy, t, values=values, notice=str(error),
                                                standalone=payload.standalone))
            field = {"resolution": "resolution", "public update": "final_public_update"}.get(
                error.field, "override_reason")
            return Answer(card=resolve_card(incident, self.deps.policy, t, values=values,
                                            errors={field: error.reason}, standalone=payload.standalone))
        except DomainError as error:
            if isinstance(error, NotPermitted):
                raise
            return Answer(card=resolve_card(incident, self.deps.policy, t, values=values, notice=str(error),
                                            standalone=payload.standalone))
        return self._resolved(turn_context, done, payload, t)

    def _resolved(self, turn_context: TurnContext, incident: Incident, payload: ResolveAction,
                  t: Translator) -> Answer:
        """The form turns back into the incident card it replaced; a form of its own into a short notice, as
        the incident card and the announcement are updated in place (no second copy in the thread)."""
        if payload.standalone:
            return Answer(card=notice_card(t("resolve.done_notice", id=incident.id)))
        return Answer(card=self.turns.incident_card(incident, t, actor_of(turn_context)))

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
