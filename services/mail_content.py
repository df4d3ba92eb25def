"""What an incident email shows: severity, status, roles, the latest update, the way into Teams and,
for the people who may act, their own signed action links. Templates render it (templates/email)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from incident.model import Incident, Person
from services.action_links import LinkAction
from services.bus import Dependencies

ACTION_LABELS = {LinkAction.ACKNOWLEDGE: "Acknowledge", LinkAction.UPDATE: "Post an update",
                 LinkAction.RESOLVE: "Resolve"}


def teams_link(reference: dict[str, Any] | None) -> str:
    """A deep link to the incident's space from its stored conversation reference, or "" if unknown."""
    conversation = (reference or {}).get("conversation") or {}
    conversation_id = str(conversation.get("id") or "")
    if not conversation_id:
        return ""
    thread, _, message = conversation_id.partition(";messageid=")
    if message:
        return f"https://teams.microsoft.com/l/message/{quote(thread, safe='')}/{quote(message, safe='')}"
    if conversation.get("conversationType") == "channel" or thread.endswith("@thread.tacv2"):
        return f"https://teams.microsoft.com/l/channel/{quote(thread, safe='')}/incident"
    return f"https://teams.microsoft.com/l/chat/{quote(thread, safe='')}/conversations"


def permitted_actions(incident: Incident, person: Person, admins: Sequence[str]) -> list[LinkAction]:
    """People in the incident may acknowledge and post updates; resolve is for those who may manage it."""
    if not incident.status.is_active:
        return []
    actions = [LinkAction.UPDATE]
    if incident.acknowledged_at is None:
        actions.insert(0, LinkAction.ACKNOWLEDGE)
    if incident.may_manage(person, admins):
        actions.append(LinkAction.RESOLVE)
    return actions


def action_links(deps: Dependencies, incident: Incident, person: Person, now: datetime) -> list[dict[str, str]]:
    if deps.links is None or not person.email:
        return []
    return [{"label": ACTION_LABELS[action],
             "url": f"{deps.public_url}/api/act?{urlencode({'t': deps.links.issue(incident.id, person, action, now)})}"}
            for action in permitted_actions(incident, person, deps.policy.admins)]


async def incident_view(deps: Dependencies, incident: Incident, *, reader: Person | None = None,
                        restricted: bool = False) -> dict[str, Any]:
    """Template data shared by every incident email. ``restricted``: a private incident read by people
    outside it (stakeholders) shows no details."""
    space = await deps.conversations.get(incident.id, "space")
    names = {role.key: role.name for role in deps.policy.roles}
    roles = [{"name": names.get(key, key), "person": person.name} for key, person in sorted(incident.roles.items())]
    return {
        "id": incident.id, "severity": incident.severity, "status": incident.status.value,
        "restricted": restricted and incident.private, "title": incident.title,
        "summary": incident.summary, "roles": roles, "latest_update": incident.last_update,
        "latest_update_at": incident.last_update_at, "declared_at": incident.declared_at,
        "space_url": teams_link(space), "language": incident.language, "replies": bool(deps.inbound_mailbox),
        "actions": action_links(deps, incident, reader, deps.clock.now()) if reader else [],
    }


def subject(incident: Incident, what: str) -> str:
    title = "security incident" if incident.private else incident.title
    return f"[{incident.id}] {incident.severity} {what}: {title}"
