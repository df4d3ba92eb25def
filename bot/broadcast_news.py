"""News in the broadcast channel: a line in the incident's announcement thread when its severity moves.

A raise and a lowering each get one line, in the incident's language. The line replies to the announcement;
when the announcement is unknown (it could not be posted), it is a new message in the broadcast channel. A
security incident is never in a broadcast channel, so it gets nothing here. Each change is told once: a
marker ``severity_told/<event sequence>`` is kept once the line is sent, so a retried reaction sends none.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.references import reference_from_dict
from bot.setup import TeamsSetup
from bot.teams_connector import TeamsConnector
from incident.errors import NotificationFailed
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from services.ports import ConversationReferenceRepository


def raised(policy: OrganisationPolicy, before: str, after: str) -> bool:
    """A raise makes the incident more severe (a lower rank: SEV1 is rank 1)."""
    return policy.severity(after).rank < policy.severity(before).rank


def severity_line(incident: Incident, change: TimelineEvent, policy: OrganisationPolicy) -> str:
    before, after = change.before["severity"], change.after["severity"]
    key = "announce.severity_raised" if raised(policy, before, after) else "announce.severity_lowered"
    return Translator(incident.language)(key, id=incident.id, title=markdown_escape(incident.title),
                                         before=before, after=after)


async def tell_severity_change(teams: TeamsConnector, conversations: ConversationReferenceRepository,
                               setup: TeamsSetup, policy: OrganisationPolicy, incident: Incident,
                               change: TimelineEvent) -> None:
    if incident.private:  # never a word in a shared channel, whatever fails
        return
    refs = await conversations.list_for(incident.id)
    marker = f"severity_told/{change.sequence}"
    if marker in refs:
        return
    activity = MessageFactory.text(severity_line(incident, change, policy))
    if "announcement" in refs:
        await teams.send(reference_from_dict(refs["announcement"]["reference"]), activity)
    else:
        home = await conversations.get("teams", incident.team or "home")
        if home is None:
            raise NotificationFailed("no team known yet: mention the bot once in the team's incidents channel")
        home_ref = reference_from_dict(home["reference"])
        channel = teams.channel_id(await teams.team_channels(home_ref, home["team_id"]),
                                   incident.broadcast or setup.default_broadcast)
        await teams.new_thread(home_ref, channel, activity)
    await conversations.put(incident.id, marker, {"at": change.at.isoformat()})
