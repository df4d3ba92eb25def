"""What devopsbot sees happen moves the incident along: an acknowledgement starts the investigation (where the
organisation wants it), and a plan step done by an acknowledgement or an update ticks itself."""

from __future__ import annotations

from datetime import datetime

from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from incident.timeline import TimelineEvent

# A plan step's ``done_when`` (the organisation file's words) → the timeline event that does it.
OBSERVED_STEPS: dict[str, str] = {
    "acknowledged": "acknowledged",
    "first_update": "update_posted",
    "public_update": "public_update_posted",  # incident/publishing.py
}


def acknowledge(incident: Incident, *, actor: Person, at: datetime,
                policy: OrganisationPolicy) -> TimelineEvent | None:
    """The first acknowledgement: recorded, then the investigation starts and the plan's step ticks."""
    event = incident.acknowledge(actor=actor, at=at)
    if event is None:
        return None
    if policy.acknowledge_starts_investigation and incident.status is Status.DECLARED:
        incident.transition(Status.INVESTIGATING, actor=actor, at=at, policy=policy)
    tick_observed_steps(incident, event, policy)
    return event


def post_update(incident: Incident, *, actor: Person, at: datetime, text: str,
                policy: OrganisationPolicy) -> TimelineEvent:
    """An update, and the plan's update step ticked if it was not yet."""
    event = incident.post_update(actor=actor, at=at, text=text)
    tick_observed_steps(incident, event, policy)
    return event


def tick_observed_steps(incident: Incident, event: TimelineEvent, policy: OrganisationPolicy) -> None:
    """Tick, in the name of whoever did it, each step of the plan that ``event`` does."""
    steps = policy.incident_type(incident.type).response_plan.steps
    for index, step in enumerate(steps):
        if OBSERVED_STEPS.get(step.done_when) == event.kind and index not in incident.plan_done:
            incident.complete_plan_step(index=index, actor=event.actor, at=event.at, policy=policy)
