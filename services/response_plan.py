"""The response plan beyond its checklist card: overdue steps reminded once each, and the communication
section emailed to the role holders on declaration, so they have the backup channels if Teams goes down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from incident.errors import NotificationFailed
from incident.model import Incident, Person, TimelineEvent
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from services.fallback import send_batches_once
from services.mail_content import incident_view
from services.people_language import by_language
from services.ports import Alert, DueItem
from services.roster_service import chain_for

PLAN_STEP_DUE = "plan_step_due"


def _step_indices(item: DueItem) -> list[int]:
    return [int(s) for s in str(item.payload.get("steps", "")).split(",") if s.strip().isdigit()]


def plan_step_items(incident: Incident, policy: OrganisationPolicy) -> list[DueItem]:
    """One due item per distinct due offset (steps due together share it), counted from the declaration;
    scheduled with the first deadlines (services.reactions), in the same storage transaction."""
    steps = policy.incident_type(incident.type).response_plan.steps
    by_due: dict[datetime, list[int]] = {}
    for index, step in enumerate(steps):
        by_due.setdefault(incident.declared_at + step.due_after, []).append(index)
    return [DueItem(PLAN_STEP_DUE, incident.id, due, {"steps": ",".join(str(i) for i in indices)})
            for due, indices in by_due.items()]


async def owner_of(incident: Incident, role: str, deps: Dependencies, at: datetime) -> Person | None:
    """Who owns a step's role: the incident's holder, else whoever the roster says holds it at ``at``."""
    holder = incident.holder(role)
    if holder is not None:
        return holder
    chain = await chain_for(deps.roster, incident.services, role, at)
    return chain[0] if chain else None


async def remind_overdue_steps(item: DueItem, incident: Incident, deps: Dependencies, now: datetime) -> None:
    """Each step of the item not ticked yet is said once, @mentioning its owner (or the commander)."""
    if not incident.status.is_active:
        return
    steps = deps.policy.incident_type(incident.type).response_plan.steps
    failed: NotificationFailed | None = None
    for index in _step_indices(item):
        if index >= len(steps) or index in incident.plan_done:
            continue
        step = steps[index]
        owner = await owner_of(incident, step.owner_role, deps, now) or incident.holder("commander")
        try:
            await deps.notifier.alert(incident, Alert("plan_step_overdue", (owner,) if owner else (), {
                "step": step.title, "role": deps.policy.role(step.owner_role).name,
                "minutes": str(int(step.due_after.total_seconds() // 60))}))
        except NotificationFailed as error:  # the other steps are still said (by email, when Teams is down)
            failed = failed or error
    if failed is not None:
        raise failed  # the item is retried; the email of each step has gone once


async def mail_response_plan(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The plan and its communication section (primary channel, backup methods) by email to every role
    holder and step owner with an address: when Teams is down, this mail is how they find each other."""
    if deps.mailer is None:
        return
    kind = deps.policy.incident_type(incident.type)
    people: list[Person] = list(incident.roles.values())
    steps = []
    for step in kind.response_plan.steps:
        owner = await owner_of(incident, step.owner_role, deps, incident.declared_at)
        if owner is not None:
            people.append(owner)
        steps.append({"title": step.title, "role": deps.policy.role(step.owner_role).name,
                      "owner": owner.name if owner else None, "minutes": int(step.due_after.total_seconds() // 60)})
    unique = list({p.email.lower(): p for p in people if p.email}.values())
    if not unique:
        return
    holders = [{"role": deps.policy.role(role).name, "name": person.name, "email": person.email}
               for role, person in incident.roles.items()]
    # One message per language (services.people_language): each reader's in their own.
    for language, group in (await by_language(deps, unique, incident)).items():
        fr = language == "fr"
        title = ("incident de sécurité" if fr else "security incident") if incident.private else incident.title
        line = (f"[{incident.id}] Plan de réponse ({kind.name}) : {title}" if fr
                else f"[{incident.id}] Response plan ({kind.name}): {title}")
        unassigned = "non attribué" if fr else "not assigned"
        view = await incident_view(deps, incident, language=language)
        await send_batches_once(
            deps, incident, [p.email.lower() for p in group], line, "response_plan",
            {"incident": incident, "view": view, "kind": kind.name,
             "steps": [{**step, "owner": step["owner"] or unassigned} for step in steps],
             "holders": holders, "primary": kind.response_plan.communication.primary_channel,
             "backups": list(kind.response_plan.communication.backup_methods)})
