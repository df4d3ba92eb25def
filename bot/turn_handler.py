"""The Teams activity handler: commands in messages, card actions, and never a silent failure.

Commands: help, declare, status [id], list, ack, update <text>, assign <role> @person,
severity <level>, resolve, reopen <reason>. Card actions arrive as Action.Execute invokes (or as a
submit from older clients) and are routed by verb through one table, like the commands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.templates import markdown_escape
from bot.assessment import AssessmentTeams
from bot.commands import parse_command, without_recipient_mention
from bot.declaration import declaration_card, new_form_id, parse_declaration
from bot.home_team import HomeCommands
from bot.locale import Translator
from bot.notifier import incident_of_conversation, members_of
from bot.playbook_commands import PlaybookCommands
from bot.postmortem import PostmortemTeams
from bot.private_space import declared_notice
from bot.references import reference_to_dict, tenant_of
from bot.replies import help_card
from bot.roster_commands import RosterCommands, mentions_of
from bot.setup import TeamsSetup
from bot.submissions import (
    AssignAction,
    IncidentAction,
    PayloadError,
    PlanTickAction,
    ResolveAction,
    SeverityAction,
    SnoozeAction,
    UpdateAction,
    parse_payload,
)
from bot.views import Member, announcement_card, incident_card, notice_card, plan_card, resolve_card
from incident import commands
from incident.access import Action, require
from incident.errors import (
    ConcurrencyConflict,
    DeclarationInProgress,
    DomainError,
    InvalidValue,
    NotFound,
    NotPermitted,
)
from incident.ids import parse_incident_id
from incident.model import Incident, Person
from services.bus import MessageBus
from services.handlers import open_incidents
from services.home_team import remember_team
from services.once import once

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
DELIVERY_LEASE = timedelta(minutes=2)
MEMBERS_TTL_SECONDS = 600
# botbuilder's member lookups wait 100 s a try, up to four tries, when Teams hangs: far past the 15 s after
# which Teams redelivers the click. The person is answered without the lookup instead.
TEAMS_LOOKUP_SECONDS = 5
FAILED = "devopsbot.failed"  # turn_state flag: the turn answered but did not do its work
# Verbs whose command carries an idempotency key of its own, derived from the submitted form, so a repeated
# delivery of the same activity is recognised there (and answered with what the first one made).
SELF_DEDUPLICATING_VERBS = frozenset({"declare.submit"})


@dataclass(frozen=True)
class Answer:
    """What the bot answers: a card (which replaces the clicked card) or a line of text."""

    card: dict[str, Any] | None = None
    text: str = ""


Command = Callable[[TurnContext, str, Translator], Awaitable[Answer]]
Verb = Callable[[TurnContext, dict[str, Any], Translator], Awaitable[Answer]]


def _team_data(turn_context: TurnContext) -> dict[str, Any]:
    """The Teams team an activity came from (``channelData.team``), or an empty mapping."""
    channel_data = turn_context.activity.channel_data
    team = channel_data.get("team") if isinstance(channel_data, dict) else None
    return team if isinstance(team, dict) else {}


def card_action(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The verb and data of a card button: Action.Execute (an ``adaptiveCard/action`` invoke) or the
    Action.Submit fallback (a message whose value names the verb); ("", {}) for anything else."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if activity.type == "invoke":
        found = value.get("action") if activity.name == "adaptiveCard/action" else None
        action: dict[str, Any] = found if isinstance(found, dict) else {}
        given = action.get("data")
        return str(action.get("verb", "")), given if isinstance(given, dict) else {}
    if activity.type == "message" and isinstance(value.get("verb"), str):
        return value["verb"], value
    return "", {}


def actor_of(turn_context: TurnContext) -> Person:
    sender = turn_context.activity.from_property
    return Person(id=sender.id, name=sender.name or sender.id, aad_id=sender.aad_object_id or "")


class DevOpsBot(TeamsActivityHandler):
    def __init__(self, bus: MessageBus, setup: TeamsSetup, *, app_id: str = "") -> None:
        self.bus = bus
        self.deps = bus.dependencies
        self.setup = setup
        self.app_id = app_id
        self._known_home: tuple[str, str] | None = None
        self._member_cache: dict[str, tuple[float, list[Member]]] = {}
        self.commands: dict[str, Command] = {
            "help": self._help, "declare": self._declare, "status": self._status, "list": self._list,
            "ack": self._ack, "update": self._update, "assign": self._assign, "severity": self._severity,
            "resolve": self._resolve_form, "reopen": self._reopen, "roster": self._roster,
            "playbook": self._playbook, "home": self._home,
        }
        self.roster_commands = RosterCommands(bus)
        self.playbook_commands = PlaybookCommands(bus)
        self.home_commands = HomeCommands(bus.dependencies)
        self.verbs: dict[str, Verb] = {
            "declare.submit": self._declare_submit, "incident.ack": self._card_ack,
            "incident.update": self._card_update, "incident.severity": self._card_severity,
            "incident.assign": self._card_assign, "incident.resolve_form": self._card_resolve_form,
            "incident.resolve": self._card_resolve, "plan.tick": self._card_plan_tick,
            "incident.refresh": self._card_refresh, "incident.snooze": self._card_snooze,
            "playbook.approve": lambda tc, data, t: self._card_playbook("playbook.approve", tc, data, t),
            "playbook.reject": lambda tc, data, t: self._card_playbook("playbook.reject", tc, data, t),
        }
        postmortem = PostmortemTeams(self)  # the postmortem's command and card (bot/postmortem.py)
        self.commands |= postmortem.commands
        self.verbs |= postmortem.verbs
        assessment = AssessmentTeams(self)  # the independent risk assessment (bot/assessment.py)
        self.commands |= assessment.commands
        self.verbs |= assessment.verbs

    # -- dispatch ------------------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember_home_team(turn_context)
        key = self._delivery_key(turn_context)  # a failed turn is released: Teams' retry must do the work again
        async with once(self.deps.idempotency, key, self.deps.clock.now(), DELIVERY_LEASE) as claim:
            if not claim.owned:
                log.info("ignored a repeated delivery of activity %s", turn_context.activity.id)
                if turn_context.activity.type == "invoke":  # Teams still waits for an answer to the retry
                    t = Translator(turn_context.activity.locale)
                    await turn_context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(
                        status=200, body={"statusCode": 200, "type": MESSAGE, "value": t("reply.repeat")})))
                return
            await super().on_turn(turn_context)
            if turn_context.turn_state.get(FAILED):
                claim.release_instead()  # answered politely, but nothing was done

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        t = Translator(turn_context.activity.locale)
        verb, value = card_action(turn_context.activity)
        if verb in self.verbs:  # Action.Submit fallback
            answer = await self._run_verb(turn_context, verb, value, t)
        else:
            activity = turn_context.activity  # the bot's mention leaves the text commands read
            activity.text = without_recipient_mention(activity.text or "", activity.entities,
                                                      activity.recipient.id if activity.recipient else "")
            command = parse_command(activity.text)
            handler = self.commands.get(command.name)
            if handler is None:
                answer = Answer(card=help_card(t, unknown=command.name))
            else:
                answer = await self._guarded(lambda: handler(turn_context, command.arguments, t), t)
        await self._send(turn_context, answer)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Action.Execute: the answer replaces the clicked card, or shows as a message. (Answered here:
        botbuilder's own path cannot serialise a message answer, whose value is a string.)"""
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        t = Translator(turn_context.activity.locale)
        verb, data = card_action(turn_context.activity)
        try:
            answer = await self._run_verb(turn_context, verb, data, t)
        except Exception:  # an answer even now: without one Teams shows the user an error
            log.exception("card action %r failed", verb[:60])
            turn_context.turn_state[FAILED] = True
            answer = Answer(text=t("reply.failure"))
        if answer.card is not None:
            body = {"statusCode": 200, "type": CARD, "value": answer.card}
        else:
            body = {"statusCode": 200, "type": MESSAGE, "value": answer.text}
        return InvokeResponse(status=200, body=body)

    async def _run_verb(self, turn_context: TurnContext, verb: str, data: dict[str, Any], t: Translator) -> Answer:
        handler = self.verbs.get(verb)
        if handler is None:
            log.warning("refused a card action with unknown verb %r", verb[:60])
            return Answer(text=t("reply.stale", reason=t("reply.unknown_action", verb=markdown_escape(verb[:60]))))
        return await self._guarded(lambda: handler(turn_context, data, t), t)

    @staticmethod
    async def _guarded(work: Callable[[], Awaitable[Answer]], t: Translator) -> Answer:
        """The process's refusals become a clear answer, and a log line; nothing is changed by them."""
        try:
            return await work()
        except NotPermitted as error:
            log.info("refused: %s", error)
            return Answer(text=t("reply.refused", reason=markdown_escape(str(error))))
        except (NotFound, PayloadError) as error:
            log.warning("stale or forged request: %s", error)
            return Answer(text=t("reply.stale", reason=markdown_escape(str(error))))
        except (DomainError, ConcurrencyConflict) as error:
            log.info("not done: %s", error)
            return Answer(text=t("reply.invalid", reason=markdown_escape(str(error))))

    @staticmethod
    async def _send(turn_context: TurnContext, answer: Answer) -> None:
        if answer.card is not None:
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(answer.card)))
        elif answer.text:
            await turn_context.send_activity(MessageFactory.text(answer.text))

    @staticmethod
    def _delivery_key(turn_context: TurnContext) -> str:
        """Teams retries anything slower than 15 s: a repeated activity id is handled once. A card click whose
        command carries its own idempotency key needs no second claim (two storage requests fewer)."""
        activity = turn_context.activity
        if activity.type not in ("message", "invoke") or not activity.id:
            return ""
        if activity.type == "invoke" and card_action(activity)[0] in SELF_DEDUPLICATING_VERBS:
            return ""  # (an Action.Submit message repeated would be answered twice in the chat: claimed)
        return f"activity:{activity.conversation.id if activity.conversation else ''}:{activity.id}"

    async def _remember_home_team(self, turn_context: TurnContext) -> None:
        """The team the bot is used in: where incident threads open when declared from a chat or the CLI."""
        team = _team_data(turn_context)
        if not team.get("id"):
            return
        conversation_id = turn_context.activity.conversation.id
        if self._known_home == (team["id"], conversation_id):
            return
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        record = {"team_id": team["id"], "aad_group_id": team.get("aadGroupId", ""),
                  "team_name": str(team.get("name", ""))[:200], "reference": reference_to_dict(reference),
                  "tenant_id": tenant_of(turn_context.activity)}
        # The home team (for declarations from chats and the CLI) is the first one until an admin chooses
        # one ('home here'); another team's mention does not move it. An incident declared in a team lives there.
        await remember_team(self.deps.conversations, team["id"], record)
        self._known_home = (team["id"], conversation_id)

    @staticmethod
    def _team_of(turn_context: TurnContext) -> str:
        return str(_team_data(turn_context).get("id", ""))

    # -- which incident --------------------------------------------------------------------------------

    async def _incident_for(self, turn_context: TurnContext, arguments: str) -> tuple[Incident, str]:
        """The incident named first in ``arguments``, or the one this thread belongs to; and the rest."""
        first, _, rest = arguments.partition(" ")
        try:
            incident_id = parse_incident_id(first)
        except InvalidValue:
            found = await incident_of_conversation(self.deps.conversations, turn_context.activity.conversation.id)
            if found is None:
                raise InvalidValue("incident", "no incident here") from None
            incident_id, rest = found, arguments
        return await self.deps.incidents.get(incident_id), rest.strip()

    async def _members(self, turn_context: TurnContext) -> list[Member]:
        """The people of this conversation, for the pickers; in a personal chat, just the user. Kept a few
        minutes: the form is shown and then submitted, and the submit should not wait on Teams again."""
        me = actor_of(turn_context)
        conversation = turn_context.activity.conversation.id.split(";")[0]
        cached = self._member_cache.get(conversation)
        if cached and time.monotonic() - cached[0] < MEMBERS_TTL_SECONDS and any(m.id == me.id for m in cached[1]):
            return list(cached[1])
        try:
            accounts = await asyncio.wait_for(TeamsInfo.get_members(turn_context), TEAMS_LOOKUP_SECONDS)
        except (HttpOperationError, ClientRequestError, TypeError, ValueError, TimeoutError):
            accounts = []  # a personal chat, or Teams did not answer: offer at least the user
        members = members_of(accounts)
        if accounts:
            self._member_cache[conversation] = (time.monotonic(), members)
        if all(m.id != me.id for m in members):
            members.insert(0, Member(me.id, me.name))
        return members

    @staticmethod
    async def _member(turn_context: TurnContext, member_id: str) -> Member | None:
        """One person of this conversation by Teams id or Entra object id; None when not a member."""
        try:
            account = await asyncio.wait_for(TeamsInfo.get_member(turn_context, member_id), TEAMS_LOOKUP_SECONDS)
        except (HttpOperationError, ClientRequestError, TypeError, ValueError, TimeoutError):
            return None
        found = members_of([account]) if account is not None else []
        return found[0] if found else None

    def _incident_card(self, incident: Incident, t: Translator, viewer: Person | None = None) -> dict[str, Any]:
        """The card as ``viewer`` may see it: the restricted one for a security incident they are not in."""
        admins = self.deps.policy.admins
        if viewer is not None and not incident.may_see(viewer, admins):
            return announcement_card(incident, self.deps.policy, t, self.deps.clock.now())
        manage = viewer is not None and incident.may_manage(viewer, admins)
        return incident_card(incident, self.deps.policy, t, self.deps.clock.now(), [], manage=manage)

    def _which_incident(self, t: Translator) -> Answer:
        return Answer(text=t("reply.no_incident", example="status INC-2026-0042"))

    # -- text commands ---------------------------------------------------------------------------------

    async def _help(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return Answer(card=help_card(t))

    async def _declare(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        members = await self._members(turn_context)
        me = actor_of(turn_context)
        return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=new_form_id(),
                                            values={"title": arguments, "commander": me.id}))

    async def _status(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        try:
            incident, _ = await self._incident_for(turn_context, arguments)
        except InvalidValue:
            return self._which_incident(t)
        return Answer(card=self._incident_card(incident, t, actor_of(turn_context)))

    async def _list(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        found = await open_incidents(self.deps)
        if not found:
            return Answer(text=t("reply.no_open"))
        me = actor_of(turn_context)
        lines = [f"- **{i.id}** [{i.severity}] {t(f'status.{i.status.value}')}: "
                 + (markdown_escape(i.title) if i.may_see(me, self.deps.policy.admins) else t("list.private"))
                 for i in found]
        return Answer(text=f"{t('reply.list_heading')}\n\n" + "\n".join(lines))

    async def _with_incident(self, turn_context: TurnContext, arguments: str, t: Translator,
                             act: Callable[[Incident, str], Awaitable[Answer]]) -> Answer:
        try:
            incident, rest = await self._incident_for(turn_context, arguments)
        except InvalidValue:
            return self._which_incident(t)
        return await act(incident, rest)

    async def _ack(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            done = await self.bus.handle(commands.Acknowledge(incident.id, actor_of(turn_context)))
            return Answer(text=t("reply.acknowledged", id=done.id, who=markdown_escape(str(done.acknowledged_by))))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _update(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.update")))
            await self.bus.handle(commands.PostUpdate(incident.id, rest, actor_of(turn_context)))
            return Answer(text=t("reply.updated", id=incident.id))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _assign(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            role_word = rest.split(" ", 1)[0] if rest else ""
            people = self._mentioned(turn_context)
            if not role_word or not people:
                return Answer(text=t("reply.mention_someone"))
            role = self._role_key(role_word)
            await self.bus.handle(commands.AssignRole(incident.id, role, people[0], actor_of(turn_context)))
            return Answer(text=t("reply.assigned", role=self.deps.policy.role(role).name, id=incident.id,
                                 who=markdown_escape(people[0].name)))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _severity(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            level, _, reason = rest.partition(" ")
            if not level:
                return Answer(text=t("reply.usage", usage=t("usage.severity")))
            done = await self.bus.handle(commands.ChangeSeverity(incident.id, level, actor_of(turn_context), reason))
            return Answer(text=t("reply.severity", id=done.id, severity=done.severity))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _resolve_form(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
            return Answer(card=resolve_card(incident, self.deps.policy, t, values={"resolution": rest}))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _reopen(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.reopen")))
            await self.bus.handle(commands.Reopen(incident.id, rest, actor_of(turn_context)))
            return Answer(text=t("reply.reopened", id=incident.id, reason=markdown_escape(rest)))
        return await self._with_incident(turn_context, arguments, t, act)

    async def _roster(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def with_details(person: Person) -> Person:  # email and Entra id, for mail and Graph
            found = await self._member(turn_context, person.id)
            return found.person() if found is not None else person

        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else ""
        mentions = mentions_of(turn_context.activity.entities, bot_id)
        return Answer(text=await self.roster_commands.run(arguments, actor_of(turn_context), mentions,
                                                          with_details, t))

    async def _home(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return Answer(text=await self.home_commands.run(arguments, actor_of(turn_context),
                                                        self._team_of(turn_context), t))

    async def _playbook(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        text, card = await self.playbook_commands.run(arguments, turn_context.activity.text or "",
                                                      actor_of(turn_context), t)
        return Answer(card=card, text=text)

    async def _card_playbook(self, verb: str, turn_context: TurnContext, data: dict[str, Any],
                             t: Translator) -> Answer:
        return Answer(text=await self.playbook_commands.card_action(verb, data, actor_of(turn_context), t))

    def _mentioned(self, turn_context: TurnContext) -> list[Person]:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else ""
        people = []
        for entity in turn_context.activity.entities or []:
            data = entity.additional_properties if hasattr(entity, "additional_properties") else {}
            mentioned = (data or {}).get("mentioned") or getattr(entity, "mentioned", None)
            if entity.type == "mention" and isinstance(mentioned, dict) and mentioned.get("id") != bot_id:
                people.append(Person(id=str(mentioned["id"]), name=str(mentioned.get("name") or mentioned["id"])))
        return people

    def _role_key(self, word: str) -> str:
        wanted = word.strip().casefold()
        for role in self.deps.policy.roles:
            if wanted in (role.key.casefold(), role.name.casefold(), role.key.replace("_", "-").casefold()):
                return role.key
        return self.deps.policy.role(word).key  # raises, naming the known roles

    # -- card actions ----------------------------------------------------------------------------------

    async def _declare_submit(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        form, errors = parse_declaration(data)
        members = await self._members(turn_context)
        form_id = form.form_id if form else str(data.get("form_id") or new_form_id())[:64]
        if form is None:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors=errors, notice=t("declare.fix_errors")))
        by_id = {m.id: m for m in members}
        for picked in {form.commander, form.responder, *form.invitees} - set(by_id) - {""}:
            found = await self._member(turn_context, picked)  # from the people search: an Entra object id
            if found is not None:
                by_id[picked] = found
        errors = self._declaration_errors(form, by_id, t)
        if errors:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors=errors, notice=t("declare.fix_errors")))
        if not form.is_incident and not form.confirm_not_incident:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, notice=t("declare.not_incident"), confirm=True))
        roles = {"commander": by_id[form.commander].person()}
        if form.responder:
            roles["responder"] = by_id[form.responder].person()
        command = commands.DeclareIncident(
            title=form.title, incident_type=form.type, severity=form.severity, actor=actor_of(turn_context),
            summary=form.summary, roles=roles, services=tuple(form.services),
            environments=tuple(form.environments), regions=tuple(form.regions),
            private=self.deps.policy.is_private(form.type, asked=form.private),
            invitees=tuple(by_id[i].person() for i in form.invitees), broadcast=form.broadcast,
            language=t.language, idempotency_key=form.idempotency_key(actor_of(turn_context).id),
            team=self._team_of(turn_context))
        try:
            incident = await self.bus.handle(command)
        except DeclarationInProgress:
            return Answer(text=t("declare.in_progress"))
        except InvalidValue as error:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors={error.field: error.reason},
                                                notice=t("declare.fix_errors")))
        # The form is replaced by a card without its button, so nobody declares from it again.
        return Answer(card=notice_card(declared_notice(incident, self.setup, t)))

    def _declaration_errors(self, form: Any, by_id: dict[str, Member], t: Translator) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not form.title:
            errors["title"] = t("error.required")
        if not form.commander:
            errors["commander"] = t("error.required")
        for field in ("commander", "responder"):
            if getattr(form, field) and getattr(form, field) not in by_id:
                errors[field] = t("error.not_member")
        if any(i not in by_id for i in form.invitees):
            errors["invitees"] = t("error.not_member")
        if form.broadcast and form.broadcast not in self.setup.broadcast_channels:
            errors["broadcast"] = t("error.not_broadcast", channels=", ".join(self.setup.broadcast_channels))
        return errors

    async def _card_incident(self, payload: IncidentAction) -> Incident:
        return await self.deps.incidents.get(payload.incident_id.upper())

    async def _card_change(self, turn_context: TurnContext, payload: IncidentAction, t: Translator,
                           command: Callable[[Incident, Person], Any]) -> Answer:
        incident = await self._card_incident(payload)
        done = await self.bus.handle(command(incident, actor_of(turn_context)))
        return Answer(card=self._incident_card(done, t, actor_of(turn_context)))

    async def _card_ack(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(IncidentAction, data)
        return await self._card_change(turn_context, payload, t, lambda i, who: commands.Acknowledge(i.id, who))

    async def _card_update(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(UpdateAction, data)
        return await self._card_change(turn_context, payload, t,
                                       lambda i, who: commands.PostUpdate(i.id, payload.text, who))

    async def _card_severity(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(SeverityAction, data)
        return await self._card_change(turn_context, payload, t, lambda i, who: commands.ChangeSeverity(
            i.id, payload.severity, who, payload.reason))

    async def _card_assign(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(AssignAction, data)
        incident = await self._card_incident(payload)
        known = {p.id: p for p in (incident.declared_by, *incident.roles.values(), *incident.invitees)}
        known |= {m.id: m.person() for m in await self._members(turn_context)}
        if payload.person not in known:
            return Answer(text=t("reply.mention_someone"))
        role = self._role_key(payload.role)
        done = await self.bus.handle(commands.AssignRole(incident.id, role, known[payload.person],
                                                         actor_of(turn_context)))
        return Answer(card=self._incident_card(done, t, actor_of(turn_context)))

    async def _card_resolve_form(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        incident = await self._card_incident(parse_payload(IncidentAction, data))
        require(incident, Action.RESOLVE, actor_of(turn_context), self.deps.policy.admins)
        return Answer(card=resolve_card(incident, self.deps.policy, t))

    async def _card_resolve(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(ResolveAction, data)
        incident = await self._card_incident(payload)
        met = payload.met([c.key for c in self.deps.policy.incident_type(incident.type).exit_criteria])
        values: dict[str, Any] = {"criteria_met": met, "resolution": payload.resolution,
                                  "override_reason": payload.override_reason}
        if not incident.status.is_active:  # a second click on Resolve: show what is, not an error
            return Answer(card=self._incident_card(incident, t, actor_of(turn_context)))
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
        return Answer(card=self._incident_card(done, t, actor_of(turn_context)))

    async def _card_snooze(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(SnoozeAction, data)
        incident = await self._card_incident(payload)
        await self.bus.handle(commands.SnoozeReminders(incident.id, payload.minutes, actor_of(turn_context)))
        return Answer(text=t("reply.snoozed", id=incident.id, minutes=payload.minutes))

    async def _card_refresh(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        """Teams asks for a user's own view of the card: the managers see Change severity and Resolve."""
        incident = await self._card_incident(parse_payload(IncidentAction, data))
        return Answer(card=self._incident_card(incident, t, actor_of(turn_context)))

    async def _card_plan_tick(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(PlanTickAction, data)
        incident = await self._card_incident(payload)
        done = await self.bus.handle(commands.CompletePlanStep(incident.id, payload.step, actor_of(turn_context)))
        return Answer(card=plan_card(done, self.deps.policy, t))
