"""What every feature's Teams handlers share: the answer, who acts, which incident, who is in the conversation,
and how the process's refusals become an answer. Feature modules and the dispatcher import it; it imports none
of them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.templates import markdown_escape
from bot.commands import mentions_of
from bot.error_text import error_sentence, refusal
from bot.locale import Translator
from bot.notifier import incident_of_conversation, members_of
from bot.setup import TeamsSetup
from bot.submissions import IncidentAction, PayloadError
from bot.views import Member, announcement_card, incident_card
from incident.errors import ConcurrencyConflict, DomainError, InvalidValue, NotFound, NotPermitted
from incident.ids import parse_incident_id
from incident.model import Incident, Person
from services.bus import MessageBus

log = logging.getLogger(__name__)

MEMBERS_TTL_SECONDS = 600
# botbuilder's member lookups wait 100 s a try, up to four tries, when Teams hangs: far past the 15 s after
# which Teams redelivers the click. The person is answered without the lookup instead.
TEAMS_LOOKUP_SECONDS = 5


@dataclass(frozen=True)
class Answer:
    """What the bot answers: a card (which replaces the clicked card) or a line of text."""

    card: dict[str, Any] | None = None
    text: str = ""


Command = Callable[[TurnContext, str, Translator], Awaitable[Answer]]
Verb = Callable[[TurnContext, dict[str, Any], Translator], Awaitable[Answer]]
Act = Callable[[Incident, str], Awaitable[Answer]]  # what a command does to the incident it names, and the rest


def actor_of(turn_context: TurnContext) -> Person:
    sender = turn_context.activity.from_property
    return Person(id=sender.id, name=sender.name or sender.id, aad_id=sender.aad_object_id or "")


def team_data(turn_context: TurnContext) -> dict[str, Any]:
    """The Teams team an activity came from (``channelData.team``), or an empty mapping."""
    channel_data = turn_context.activity.channel_data
    team = channel_data.get("team") if isinstance(channel_data, dict) else None
    return team if isinstance(team, dict) else {}


def team_of(turn_context: TurnContext) -> str:
    return str(team_data(turn_context).get("id", ""))


def in_personal_chat(turn_context: TurnContext) -> bool:
    """A one-to-one chat with the bot, where every message is for it and no @mention is needed."""
    conversation = turn_context.activity.conversation
    return conversation is not None and conversation.conversation_type == "personal"


def bot_id_of(turn_context: TurnContext) -> str:
    return turn_context.activity.recipient.id if turn_context.activity.recipient else ""


def mentioned(turn_context: TurnContext) -> list[Person]:
    """The people @mentioned in the message, the bot left out."""
    return [person for _, person in mentions_of(turn_context.activity.entities, bot_id_of(turn_context))]


def which_incident(t: Translator) -> Answer:
    return Answer(text=t("reply.no_incident", example="status INC-2026-0042"))


async def guarded(work: Callable[[], Awaitable[Answer]], t: Translator, *, typed: bool = False) -> Answer:
    """The process's refusals become a clear answer, and a log line; nothing is changed by them. A ``typed``
    command naming a record that does not exist is told so; a card that does is out of date."""
    try:
        return await work()
    except NotPermitted as error:
        log.info("refused: %s", error)
        return Answer(text=t("reply.refused", reason=refusal(error)))
    except NotFound as error:
        if not typed:
            log.warning("stale or forged request: %s", error)
            return Answer(text=t("reply.stale", reason=markdown_escape(str(error))))
        return Answer(text=t("reply.not_found", reason=error_sentence(error, t)))
    except PayloadError as error:
        log.warning("stale or forged request: %s", error)
        return Answer(text=t("reply.stale", reason=markdown_escape(str(error))))
    except (DomainError, ConcurrencyConflict) as error:
        log.info("not done: %s", error)
        return Answer(text=t("reply.invalid", reason=error_sentence(error, t)))


class Turns:
    """The bus and its dependencies, the Teams setup, and the lookups the features' handlers share (the
    conversation's members kept a few minutes)."""

    def __init__(self, bus: MessageBus, setup: TeamsSetup) -> None:
        self.bus = bus
        self.deps = bus.dependencies
        self.setup = setup
        self._member_cache: dict[str, tuple[float, list[Member]]] = {}

    # -- which incident --------------------------------------------------------------------------------

    async def incident_for(self, turn_context: TurnContext, arguments: str) -> tuple[Incident, str]:
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

    async def with_incident(self, turn_context: TurnContext, arguments: str, t: Translator, act: Act) -> Answer:
        """``act`` on the incident the command names (or the thread's); else ask which incident."""
        try:
            incident, rest = await self.incident_for(turn_context, arguments)
        except InvalidValue:
            return which_incident(t)
        return await act(incident, rest)

    async def card_incident(self, payload: IncidentAction) -> Incident:
        return await self.deps.incidents.get(payload.incident_id.upper())

    def incident_card(self, incident: Incident, t: Translator, viewer: Person | None = None) -> dict[str, Any]:
        """The card as ``viewer`` may see it: the restricted one for a security incident they are not in."""
        admins = self.deps.policy.admins
        if viewer is not None and not incident.may_see(viewer, admins):
            return announcement_card(incident, self.deps.policy, t, self.deps.clock.now())
        manage = viewer is not None and incident.may_manage(viewer, admins)
        return incident_card(incident, self.deps.policy, t, self.deps.clock.now(), [], manage=manage)

    # -- who is in the conversation ----------------------------------------------------------------------

    async def members(self, turn_context: TurnContext) -> list[Member]:
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
    async def member(turn_context: TurnContext, member_id: str) -> Member | None:
        """One person of this conversation by Teams id or Entra object id; None when not a member."""
        try:
            account = await asyncio.wait_for(TeamsInfo.get_member(turn_context, member_id), TEAMS_LOOKUP_SECONDS)
        except (HttpOperationError, ClientRequestError, TypeError, ValueError, TimeoutError):
            return None
        found = members_of([account]) if account is not None else []
        return found[0] if found else None
