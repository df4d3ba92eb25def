"""What an incident email shows: severity, status, roles, the latest update, the ways back (Teams, the
incident's page, the dashboard) and, for the people who may act, their own signed action links. Templates
render it (templates/email)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from incident.access import Action, permits
from incident.bridge import phone_bridge, wants_bridge
from incident.model import Incident, Person
from services.action_link_tokens import LinkAction
from services.bus import Dependencies

ACTION_LABELS = {LinkAction.ACKNOWLEDGE: "Acknowledge", LinkAction.UPDATE: "Post an update",
                 LinkAction.RESOLVE: "Resolve"}
ACTION_LABELS_FR = {LinkAction.ACKNOWLEDGE: "Accuser réception", LinkAction.UPDATE: "Publier un point",
                    LinkAction.RESOLVE: "Résoudre"}
# The subject's "what" in French; the templates read ``view.language`` the same way.
SUBJECT_WORDS_FR = {"declared": "déclaré", "status update": "point de situation", "resolved": "résolu",
                    "status update due": "point de situation attendu", "escalated": "escalade",
                    "needs attention": "demande votre attention"}


def teams_link(record: dict[str, Any] | None) -> str:
    """A deep link to the incident's space from its stored record (``{"reference": <conversation
    reference>}``, as the notifier keeps it), or "" if unknown. A channel thread's link opens its first
    message (``/l/message/<channel>/<message>?tenantId=...&parentMessageId=<message>``, Teams' form)."""
    reference = (record or {}).get("reference") or {}
    conversation = reference.get("conversation") or {}
    conversation_id = str(conversation.get("id") or "")
    if not conversation_id:
        return ""
    tenant = str(conversation.get("tenantID") or conversation.get("tenantId") or "")
    thread, _, message = conversation_id.partition(";messageid=")
    if message:
        query = urlencode({**({"tenantId": tenant} if tenant else {}), "parentMessageId": message})
        return f"https://teams.microsoft.com/l/message/{quote(thread, safe='')}/{quote(message, safe='')}?{query}"
    if conversation.get("conversationType") == "channel" or thread.endswith("@thread.tacv2"):
        return f"https://teams.microsoft.com/l/channel/{quote(thread, safe='')}/incident"
    return f"https://teams.microsoft.com/l/chat/{quote(thread, safe='')}/conversations"


def document_link(deps: Dependencies, incident: Incident, document_format: str = "html") -> str:
    """The incident's page (its document, protected like every page) on the app's public address."""
    incident_id = quote(incident.id, safe="")
    return f"{deps.public_url.rstrip('/')}/api/incidents/{incident_id}/document?format={document_format}"


def dashboard_link(deps: Dependencies) -> str:
    return f"{deps.public_url.rstrip('/')}/api/dashboard"


# What each link does, as an action of incident/access.py: a link is offered only to who may use it.
LINK_ACTIONS = {LinkAction.ACKNOWLEDGE: Action.ACKNOWLEDGE, LinkAction.UPDATE: Action.POST_UPDATE,
                LinkAction.RESOLVE: Action.RESOLVE}


def permitted_actions(incident: Incident, person: Person, admins: Sequence[str]) -> list[LinkAction]:
    """The links ``person`` may use now: acknowledge (until someone has), post an update, resolve."""
    if not incident.status.is_active:
        return []
    offered = [a for a in LINK_ACTIONS if a is not LinkAction.ACKNOWLEDGE or incident.acknowledged_at is None]
    return [a for a in offered if permits(incident, LINK_ACTIONS[a], person, admins)]


def action_links(deps: Dependencies, incident: Incident, person: Person, now: datetime,
                 language: str = "en") -> list[dict[str, str]]:
    if deps.links is None or not person.email:
        return []
    labels = ACTION_LABELS_FR if language == "fr" else ACTION_LABELS
    links = deps.links  # each link signed with the reader's language: its page speaks it (functions/actions.py)
    return [{"label": labels[action], "url": f"{deps.public_url}/api/act?" + urlencode(
                {"t": links.issue(incident.id, person, action, now, language)})}
            for action in permitted_actions(incident, person, deps.policy.admins)]


async def incident_view(deps: Dependencies, incident: Incident, *, reader: Person | None = None,
                        restricted: bool = False, language: str = "") -> dict[str, Any]:
    """Template data shared by every incident email. ``restricted``: a private incident read by people
    outside it (stakeholders) shows no details. ``language``: the reader's, when known; else the incident's."""
    language = language or incident.language
    # The incident's space; when it has none (Teams failed, or a private incident told one by one), the
    # broadcast announcement, where a public incident's stakeholders follow it.
    space = (await deps.conversations.get(incident.id, "space")
             or await deps.conversations.get(incident.id, "announcement"))
    names = {role.key: role.name for role in deps.policy.roles}
    roles = [{"name": names.get(key, key), "person": person.name} for key, person in sorted(incident.roles.items())]
    return {
        "id": incident.id, "severity": incident.severity, "status": incident.status.value,
        "restricted": restricted and incident.private, "title": incident.title,
        "summary": incident.summary, "roles": roles, "latest_update": incident.last_update,
        "latest_update_at": incident.last_update_at, "declared_at": incident.declared_at,
        "space_url": teams_link(space), "page_url": document_link(deps, incident),
        "dashboard_url": dashboard_link(deps), "language": language, "replies": bool(deps.inbound_mailbox),
        "actions": action_links(deps, incident, reader, deps.clock.now(), language) if reader else [],
        # The meeting bridge, or the plan's phone bridge while there is none; never to outsiders of a private one.
        "bridge_url": "" if restricted and incident.private else incident.bridge,
        "phone_bridge": "" if (restricted and incident.private) or incident.bridge or not wants_bridge(
            incident, deps.policy) else phone_bridge(incident, deps.policy),
    }


def subject(incident: Incident, what: str, language: str = "") -> str:
    """``[id] SEV what: title`` in ``language`` (else the incident's); French puts a space before the colon."""
    if (language or incident.language) == "fr":
        title = "incident de sécurité" if incident.private else incident.title
        return f"[{incident.id}] {incident.severity} {SUBJECT_WORDS_FR.get(what, what)} : {title}"
    title = "security incident" if incident.private else incident.title
    return f"[{incident.id}] {incident.severity} {what}: {title}"
