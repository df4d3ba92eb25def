"""Publishing an incident on the status page: a public update and a public title, refused for a private
incident, recorded in the timeline apart from internal updates; the plan's status-page step ticks itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from incident.errors import IllegalTransition, NotPermitted
from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from incident.progress import tick_observed_steps
from incident.public_face import MAX_PUBLIC_TEXT, MAX_PUBLIC_UPDATES, PublicUpdate
from incident.status_page import public_state
from incident.timeline import MAX_TITLE, TimelineEvent, clean_text, require_aware

PUBLIC_UPDATE = "public_update_posted"
PUBLIC_TITLE = "public_title_set"


def _printable(text: str) -> str:
    """Control characters (other than line breaks and tabs) never reach a published file: XML refuses them."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def _publishable(incident: Incident, what: str) -> None:
    if incident.private:
        raise NotPermitted(f"{incident.id} is private: a private incident is never published on the status page.")
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, what)


def post_public_update(incident: Incident, *, actor: Person, at: datetime, text: str,
                       policy: OrganisationPolicy) -> TimelineEvent:
    """A public update (the incident's first one publishes it); the latest MAX_PUBLIC_UPDATES stay on it."""
    require_aware(at)
    _publishable(incident, "publicly updated")
    clean = clean_text("public update", _printable(text), limit=MAX_PUBLIC_TEXT, required=True)
    update = PublicUpdate(at=at, text=clean, state=public_state(incident.status))
    face = incident.public
    incident.public = replace(face, updates=(*face.updates, update)[-MAX_PUBLIC_UPDATES:])
    event = incident.record(actor, at, PUBLIC_UPDATE, clean, after={"public_update": clean})
    tick_observed_steps(incident, event, policy)
    return event


def set_public_title(incident: Incident, *, actor: Person, at: datetime, title: str) -> TimelineEvent | None:
    """The title the page shows; without one the page says only that there is a disruption."""
    require_aware(at)
    _publishable(incident, "given a public title")
    clean = clean_text("public title", _printable(title), limit=MAX_TITLE, required=True)
    if clean == incident.public.title:
        return None
    before = {"public_title": incident.public.title} if incident.public.title else {}
    incident.public = replace(incident.public, title=clean)
    return incident.record(actor, at, PUBLIC_TITLE, clean, before=before, after={"public_title": clean})


def final_public_update(incident: Incident, text: str) -> str:
    """The public update to post with a resolution, checked before resolving so that a refusal loses nothing:
    "" when the incident is not on the status page (never published, or private) or none is given."""
    if incident.private or not incident.public.published:
        return ""
    return clean_text("public update", _printable(text), limit=MAX_PUBLIC_TEXT, required=False)
