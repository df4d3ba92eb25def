"""The Teams side of telling people: incident spaces, announcements and cards kept true, proactively.

Conversation references live in the conversations repository under the incident's id:
``space`` (the incident thread), ``space_card``/``plan_card`` (ids of its cards), ``announcement``
(the broadcast thread and its card); a security incident has no announcement, and when it could get no
private space, ``personal`` (why) and ``personal/<Teams id>`` (each of its people's personal chat).
``conversation:<id>`` maps a thread back to its incident, and ``teams``/``home`` is the team the bot was
last used in (where incident threads are opened).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    Mention,
)

from adapters.graph import GraphClient
from adapters.templates import markdown_escape
from bot.assessment_cards import thread_card
from bot.broadcast_news import tell_severity_change
from bot.locale import Translator
from bot.private_space import PERSONAL, PrivateIncidents
from bot.references import reference_from_dict, reference_to_dict
from bot.setup import TeamsSetup
from bot.teams_connector import TeamsConnector
from bot.views import Member, announcement_card, incident_card, mention_name, mention_text, plan_card, reminder_card
from incident.errors import GraphError, NotificationFailed
from incident.model import Incident, Person, TimelineEvent
from incident.policy import OrganisationPolicy
from services.ports import Alert, Clock, ConversationReferenceRepository

log = logging.getLogger(__name__)
SPACES_KEPT = 512  # incidents whose space reference this process keeps in memory (the oldest kept dropped first)


async def remember_incident_conversation(conversations: ConversationReferenceRepository, conversation_id: str,
                                         incident_id: str) -> None:
    await conversations.put(f"conversation:{conversation_id}", "incident", {"incident_id": incident_id})


async def incident_of_conversation(conversations: ConversationReferenceRepository,
                                   conversation_id: str) -> str | None:
    found = await conversations.get(f"conversation:{conversation_id}", "incident")
    return str(found["incident_id"]) if found else None


class TeamsNotifier(TeamsConnector):
    """The Notifier port on Teams: incident spaces, announcements and cards, over the connector's sends."""

    def __init__(self, *, adapter: Callable[[], Any], app_id: str, conversations: ConversationReferenceRepository,
                 setup: TeamsSetup, policy: OrganisationPolicy, clock: Clock, graph: GraphClient | None = None,
                 teams_app_id: str = "") -> None:
        self._graph = graph
        self._teams_app_id = teams_app_id
        super().__init__(adapter=adapter, app_id=app_id)
        self._conversations = conversations
        self._setup = setup
        self._policy = policy
        self._clock = clock
        self._private = PrivateIncidents(self, conversations, setup, policy, clock, private_spaces=graph is not None)
        self._spaces: dict[str, dict[str, Any]] = {}  # incident id → its "space" row, as stored

    # -- the Notifier port ---------------------------------------------------------------------------

    async def incident_declared(self, incident: Incident) -> None:
        home = await self._conversations.get("teams", incident.team or "home")
        if home is None:
            raise NotificationFailed("no team known yet: mention the bot once in the team's incidents channel")
        t = Translator(incident.language)
        if incident.private:  # never a thread or an announcement in a shared channel, whatever fails
            await self._private.declared(incident, t, home)
            return
        home_ref = reference_from_dict(home["reference"])
        broadcast = incident.broadcast or self._setup.default_broadcast
        try:
            channels = await self.team_channels(home_ref, home["team_id"])
            space_channel, broadcast_channel = (self.channel_id(channels, name)
                                                for name in (self._setup.incidents_channel, broadcast))
        except NotificationFailed:  # perhaps a channel created since the lookup was cached: look again
            self._channels.pop(home["team_id"], None)
            channels = await self.team_channels(home_ref, home["team_id"])
            space_channel, broadcast_channel = (self.channel_id(channels, name)
                                                for name in (self._setup.incidents_channel, broadcast))
        # The space and the announcement are independent: open both at once, and let both finish even
        # when one fails, so that what did open is remembered (and the other is retried).
        refs = await self._conversations.list_for(incident.id)
        outcomes = await asyncio.gather(
            *([] if "space" in refs else [self._open_space(incident, t, home, space_channel)]),
            *([] if "announcement" in refs else [self._announce(incident, t, home_ref, broadcast_channel,
                                                                 broadcast)]),
            return_exceptions=True)
        _raise_first(outcomes)

    async def _open_space(self, incident: Incident, t: Translator, home: dict[str, Any],
                          incidents_channel: str) -> None:
        """The incident's space: a thread, a new channel or a group chat, by the configured mode."""
        home_ref = reference_from_dict(home["reference"])
        opened = await self._space_opener(incident, home, home_ref, incidents_channel)
        where = self._setup.incidents_channel if opened == incidents_channel else None
        await self.fill_space(incident, t, home_ref, opened, where)

    async def fill_space(self, incident: Incident, t: Translator, home_ref: ConversationReference,
                         opened: str | ConversationReference, where: str | None = None) -> None:
        """The space's first message is the incident card (a channel: in its first thread; a chat: as its
        first message); then the invitation and the plan."""
        card = self.card_activity(incident_card(incident, self._policy, t, self._clock.now(), []))
        if isinstance(opened, str):
            space_ref, card_id = await self.new_thread(home_ref, opened, card)
            where = where or opened
        else:
            space_ref = opened
            card_id = await self.send(space_ref, card)
            where = "chat"
        space = {"reference": reference_to_dict(space_ref), "channel": where}
        await self._conversations.put(incident.id, "space", space)
        self._keep_space(incident.id, space)
        await self._conversations.put(incident.id, "space_card", {"activity_id": card_id})
        await remember_incident_conversation(self._conversations, space_ref.conversation.id, incident.id)
        await self.send(space_ref, self._invitation(incident, t))
        plan_id = await self.send(space_ref, self.card_activity(plan_card(incident, self._policy, t)))
        await self._conversations.put(incident.id, "plan_card", {"activity_id": plan_id})

    async def _space_opener(self, incident: Incident, home: dict[str, Any], home_ref: ConversationReference,
                            incidents_channel: str) -> str | ConversationReference:
        """Where a public incident's space goes: a channel id (thread or channel mode) or a chat. When Graph
        fails it still gets a thread in the incidents channel, and the log says why."""
        if self._setup.space_mode == "thread" or self._graph is None:
            return incidents_channel
        try:
            return await self.graph_space(incident, home, home_ref, channel=self._setup.space_mode == "channel")
        except GraphError as error:
            log.warning("could not open %s as a %s (%s); opening a thread instead", incident.id,
                        self._setup.space_mode, error)
            return incidents_channel

    async def graph_space(self, incident: Incident, home: dict[str, Any], home_ref: ConversationReference, *,
                          channel: bool) -> str | ConversationReference:
        """A new channel (private, owned by its people, for a security incident) or a group chat of its people
        with the bot installed. GraphError when Graph refuses or fails."""
        if self._graph is None:
            raise GraphError("opening an incident space", "Microsoft Graph is not configured")
        people = self.people(incident)
        if channel:
            team = home.get("aad_group_id") or await self._team_group_id(home_ref, home["team_id"])
            # Team owners see every private channel's name and description in the team's settings.
            name, about = (incident.id, "") if incident.private else (f"{incident.id} {incident.title}",
                                                                      incident.summary)
            return await self._graph.create_channel(team, name, about, private=incident.private,
                                                    owner_aad_ids=[p.aad_id for p in people if p.aad_id])
        chat_id = await self._graph.create_group_chat(f"{incident.id} {incident.title}"[:250],
                                                      [p.aad_id for p in people if p.aad_id])
        await self._graph.install_app_in_chat(chat_id, self._teams_app_id)
        return ConversationReference(
            conversation=ConversationAccount(id=chat_id, is_group=True, conversation_type="groupChat",
                                             tenant_id=home_ref.conversation.tenant_id),
            service_url=home_ref.service_url, bot=home_ref.bot, channel_id="msteams")

    async def _team_group_id(self, home: ConversationReference, team_id: str) -> str:
        found: dict[str, str] = {}

        async def look_up(turn_context: TurnContext) -> None:
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            details = await asyncio.to_thread(client.teams.get_team_details, team_id)
            found["id"] = details.aad_group_id or ""

        await self._with_retries(lambda: self._adapter().continue_conversation(home, look_up, self._app_id))
        if not found.get("id"):
            raise GraphError("looking up the team", "Teams did not give the team's group id")
        return found["id"]

    def people(self, incident: Incident) -> list[Person]:
        """Everyone the incident needs, once each: roles, invitees, the admin team."""
        people: list[Person] = []
        for person in (*incident.roles.values(), *incident.invitees, *self._setup.admin_team):
            if person not in people:
                people.append(person)
        return people

    async def _announce(self, incident: Incident, t: Translator, home: ConversationReference, channel_id: str,
                        channel_name: str) -> None:
        reference, activity_id = await self.new_thread(home, channel_id, self.card_activity(
            announcement_card(incident, self._policy, t, self._clock.now())))
        await self._conversations.put(incident.id, "announcement", {
            "reference": reference_to_dict(reference), "activity_id": activity_id, "channel": channel_name})
        if not incident.private:  # commands in a public thread must not reach a security incident
            await remember_incident_conversation(self._conversations, reference.conversation.id, incident.id)

    async def incident_changed(self, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        refs = await self._conversations.list_for(incident.id)
        if "space" not in refs:
            return  # declared without Teams (CLI before the bot knew a team): nothing to keep true
        t = Translator(incident.language)
        now = self._clock.now()
        space = reference_from_dict(refs["space"]["reference"])
        updates: list[Awaitable[None]] = []
        if "space_card" in refs:
            updates.append(self.update(space, refs["space_card"]["activity_id"], self.card_activity(
                incident_card(incident, self._policy, t, now, []))))
        if "plan_card" in refs and any(e.kind == "plan_step_done" for e in events):
            updates.append(self.update(space, refs["plan_card"]["activity_id"], self.card_activity(
                plan_card(incident, self._policy, t))))
        if incident.assessment is not None and any(e.kind.startswith("assessment_") for e in events):
            updates.append(self._assessment_card(incident, refs, space, t))
        if "announcement" in refs:
            announcement = refs["announcement"]
            updates.append(self.update(reference_from_dict(announcement["reference"]), announcement["activity_id"],
                                        self.card_activity(announcement_card(incident, self._policy, t, now))))
        _raise_first(await asyncio.gather(*updates, return_exceptions=True))  # independent: concurrently

    async def _assessment_card(self, incident: Incident, refs: dict[str, dict[str, Any]], space: ConversationReference,
                               t: Translator) -> None:
        """Posted when a round is asked (its assessors @mentioned in it), then kept true in place: who has
        answered while it is open (never what), the aggregate once revealed, the decision once made."""
        assessment = incident.assessment
        assert assessment is not None
        card = self.card_activity(thread_card(incident, self._policy, t))
        purpose = f"assessment_card/{assessment.round}"
        if purpose in refs:
            await self.update(space, refs[purpose]["activity_id"], card)
            return
        activity_id = await self.send(space, card)
        await self._conversations.put(incident.id, purpose, {"activity_id": activity_id})

    async def incident_resolved(self, incident: Incident) -> None:
        refs = await self._conversations.list_for(incident.id)
        t = Translator(incident.language)
        text = (t("announce.resolved_private", id=incident.id) if incident.private else
                t("announce.resolved", id=incident.id, title=markdown_escape(incident.title),
                  resolution=markdown_escape(incident.resolution)))
        # Each place is told once per resolution, also when a failed attempt is retried.
        stamp = f"{incident.resolved_at:%Y%m%dT%H%M%S}" if incident.resolved_at else "unknown"

        async def tell(purpose: str) -> None:
            marker = f"resolution_told/{purpose}/{stamp}"
            if marker in refs:
                return
            await self.send(reference_from_dict(refs[purpose]["reference"]), MessageFactory.text(text))
            await self._conversations.put(incident.id, marker, {"at": stamp})

        places = [p for p in refs if p in ("announcement", "space") or p.startswith(PERSONAL)]
        _raise_first(await asyncio.gather(*(tell(p) for p in places), return_exceptions=True))

    async def remind(self, incident: Incident) -> None:
        space = await self._space(incident.id)
        if space is None:
            raise NotificationFailed(f"{incident.id} has no Teams space to remind its commander in")
        t = Translator(incident.language)
        await self.send(reference_from_dict(space["reference"]),
                         self.card_activity(reminder_card(incident, self._policy, t)))

    async def alert(self, incident: Incident, alert: Alert) -> None:
        space = await self._space(incident.id)
        if space is None:
            raise NotificationFailed(f"{incident.id} has no Teams space to raise '{alert.kind}' in")
        t = Translator(incident.language)
        people = list(alert.people) or (list(self._setup.admin_team) if alert.kind == "stale" else [])
        who = ", ".join(mention_text(p) for p in people) or t("alert.nobody")
        # A join link (``url``) is a link in the text: the domain let only an address's characters through.
        text = t(f"alert.{alert.kind}", id=incident.id, who=who, **{k: v if k == "url" else markdown_escape(v)
                                                                     for k, v in alert.values.items()})
        if alert.kind == "stale" and people:
            text += " " + who
        activity = MessageFactory.text(text)
        # Only mentions the text carries: Teams refuses an entity whose text is not in the message.
        activity.entities = [m for m in map(_mention, people) if m.text in text]
        await self.send(reference_from_dict(space["reference"]), activity)

    async def severity_changed(self, incident: Incident, change: TimelineEvent) -> None:
        await tell_severity_change(self, self._conversations, self._setup, self._policy, incident, change)

    # -- building blocks -----------------------------------------------------------------------------

    async def _space(self, incident_id: str) -> dict[str, Any] | None:
        """The incident's space row. It is stored once, when the space opens, and never moved, so this process
        keeps the ones it wrote or read: a declaration's alerts would otherwise read it once each, and every
        storage read costs the host about a millisecond of CPU (bench/declaration_storm.py)."""
        space = self._spaces.get(incident_id)
        if space is None:
            space = await self._conversations.get(incident_id, "space")
            if space is not None:  # no space yet is not kept: it may open on a retry, on any host
                self._keep_space(incident_id, space)
        return space

    def _keep_space(self, incident_id: str, space: dict[str, Any]) -> None:
        self._spaces[incident_id] = space
        if len(self._spaces) > SPACES_KEPT:
            del self._spaces[next(iter(self._spaces))]  # the oldest kept

    def _invitation(self, incident: Incident, t: Translator) -> Activity:
        """A message @mentioning everyone the incident needs: in a thread, a mention is the invitation."""
        people = self.people(incident)
        mentions = [_mention(p) for p in people]
        commander = incident.roles.get("commander")
        responder = incident.roles.get("responder")
        text = t("space.opened", id=incident.id, people=t(
            "space.roles", commander=mention_text(commander) if commander else t("incident.nobody"),
            responder=mention_text(responder) if responder else t("incident.nobody")))
        others = [p for p in people if p not in (commander, responder)]
        if others:
            text += " " + t("space.invited", people=", ".join(mention_text(p) for p in others))
        if incident.bridge:
            text += " " + t("reply.bridge", id=incident.id, url=incident.bridge)
        activity = MessageFactory.text(text)
        activity.entities = mentions
        return activity



def _mention(person: Person) -> Mention:
    """A message's mention entity, its text exactly as ``mention_text`` puts it in the message."""
    return Mention(mentioned=ChannelAccount(id=person.id, name=mention_name(person)), text=mention_text(person),
                   type="mention")


def _raise_first(outcomes: Sequence[object]) -> None:
    """After concurrent sends have all finished: the first failure, if any, is the caller's."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def members_of(accounts: Sequence[Any]) -> list[Member]:
    """Teams channel accounts as card choices, sorted by name."""
    members = [Member(id=a.id, name=a.name or a.id, email=getattr(a, "email", "") or "",
                      aad_id=getattr(a, "aad_object_id", "") or "") for a in accounts if a.id]
    return sorted(members, key=lambda m: m.name.casefold())
