"""Where a security (private) incident lives in Teams: never in a shared channel, whatever fails.

With Microsoft Graph it gets a private channel (channel mode) or a group chat of its people (chat and
thread modes). Without Graph, or when Graph refuses, the incident is declared all the same but has no
space: each of its people is told in a personal chat with the bot (by email where that fails too), and
the declarer is told why. Nothing is announced in a broadcast channel, not even without details.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, ConversationReference

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.references import reference_from_dict, reference_to_dict
from bot.setup import TeamsSetup
from bot.views import incident_card
from incident.errors import GraphError, NotificationFailed
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from services.ports import Clock, ConversationReferenceRepository

log = logging.getLogger(__name__)

PERSONAL = "personal/"  # purpose prefix of each person's personal chat about the incident
FALLBACK = "personal"  # the purpose that records why the incident has no space


def space_kind(setup: TeamsSetup) -> str:
    """What a security incident's space is in this mode: a private channel, or a group chat."""
    return "channel" if setup.space_mode == "channel" else "chat"


def declared_notice(incident: Incident, setup: TeamsSetup, t: Translator) -> str:
    """What the declarer reads once the incident is stored. A security incident's answer names no title
    (it may be read in a channel) and says where its people will find it, or why nowhere yet."""
    broadcast = incident.broadcast or setup.default_broadcast
    if not incident.private:
        return t("declare.done", id=incident.id, title=markdown_escape(incident.title),
                 channel=setup.incidents_channel, broadcast=broadcast)
    where = (t("private.opening", space=t(f"private.space.{space_kind(setup)}")) if setup.private_spaces
             else t("private.not_opened", channel=setup.incidents_channel, reason=t("private.no_graph")))
    return t("declare.done_private", id=incident.id, where=where, channel=setup.incidents_channel,
             broadcast=broadcast)


class Spaces(Protocol):
    """What opening a private space uses of the Teams notifier (bot/notifier.py), which builds this helper and
    hands itself in."""

    async def graph_space(self, incident: Incident, home: dict[str, Any], home_ref: ConversationReference, *,
                          channel: bool) -> str | ConversationReference: ...

    async def fill_space(self, incident: Incident, t: Translator, home_ref: ConversationReference,
                         opened: str | ConversationReference, where: str | None = None) -> None: ...

    def people(self, incident: Incident) -> list[Person]: ...

    def card_activity(self, card: dict[str, Any]) -> Activity: ...

    async def personal_chat(self, home: ConversationReference, person: Person,
                            tenant: str) -> ConversationReference: ...

    async def send(self, reference: ConversationReference, activity: Activity) -> str: ...


class PrivateIncidents:
    """Opens a security incident's private space, or tells its people one by one."""

    def __init__(self, notifier: Spaces, conversations: ConversationReferenceRepository,
                 setup: TeamsSetup, policy: OrganisationPolicy, clock: Clock, *, private_spaces: bool) -> None:
        self._notifier, self._conversations = notifier, conversations
        self._setup, self._policy, self._clock = setup, policy, clock
        self._graph_ready = private_spaces and setup.private_spaces

    async def declared(self, incident: Incident, t: Translator, home: dict[str, Any]) -> None:
        refs = await self._conversations.list_for(incident.id)
        if "space" in refs:
            return
        home_ref = reference_from_dict(home["reference"])
        fallback = refs.get(FALLBACK)
        if fallback is None:  # not tried yet: a retry after people were told does not open a space later
            reason = await self._open(incident, t, home, home_ref)
            if reason is None:
                return
            fallback = {"reason": reason}
            await self._conversations.put(incident.id, FALLBACK, fallback)
        tenant = str(home.get("tenant_id") or home_ref.conversation.tenant_id or "")
        await self._one_by_one(incident, t, home_ref, tenant, str(fallback["reason"]), refs)

    async def _open(self, incident: Incident, t: Translator, home: dict[str, Any],
                    home_ref: ConversationReference) -> str | None:
        """Open and fill the private space; None when done, else why it could not be opened."""
        if not self._graph_ready:
            return t("private.no_graph")
        kind = space_kind(self._setup)
        try:
            opened = await self._notifier.graph_space(incident, home, home_ref, channel=kind == "channel")
        except GraphError as error:
            log.warning("could not open %s's private %s (%s); telling its people one by one", incident.id,
                        kind, error)
            return str(error).rstrip(".")
        await self._notifier.fill_space(incident, t, home_ref, opened)
        return None

    async def _one_by_one(self, incident: Incident, t: Translator, home_ref: ConversationReference, tenant: str,
                          reason: str, refs: dict[str, dict[str, Any]]) -> None:
        """Each person once, in their personal chat: a word on why, then the incident card. Those who could
        not be reached are named in the failure, so that email reaches them (and a retry tries again)."""
        declarer = incident.declared_by
        people = [declarer, *(p for p in self._notifier.people(incident) if p.id != declarer.id)]
        told = t("private.told", id=incident.id, title=markdown_escape(incident.title))
        why = t("private.not_opened", channel=self._setup.incidents_channel, reason=reason)
        card = self._notifier.card_activity(incident_card(incident, self._policy, t, self._clock.now(), []))
        unreached: list[Person] = []
        for person in people:
            purpose = f"{PERSONAL}{person.id}"
            if purpose in refs:
                continue
            try:
                chat = await self._notifier.personal_chat(home_ref, person, tenant)
                await self._notifier.send(chat, MessageFactory.text(f"{why} {told}" if person is declarer else told))
                await self._notifier.send(chat, card)
            except NotificationFailed as error:
                log.warning("%s: could not tell %s in a personal chat (%s)", incident.id, person.name, error)
                unreached.append(person)
                continue
            await self._conversations.put(incident.id, purpose, {"reference": reference_to_dict(chat)})
        if unreached:
            raise NotificationFailed(f"{incident.id}: {len(unreached)} of its people could not be told in a "
                                     "personal chat", people=tuple(unreached))
