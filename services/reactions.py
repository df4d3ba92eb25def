"""What happens after a change is stored: deadlines scheduled, people told, cards kept true."""

from __future__ import annotations

from collections.abc import Sequence

from incident.model import Incident, TimelineEvent
from services.bus import Dependencies, Reaction
from services.ports import Alert, DueItem
from services.timers import ACK_DEADLINE, ORGANISATION_ROSTER, ROLE_UNFILLED, STALE_CHECK, STATUS_REMINDER


async def schedule_first_deadlines(incident: Incident, events: Sequence[TimelineEvent],
                                   deps: Dependencies) -> None:
    """From the severity's policy: the acknowledgement deadline, the first status reminder, the check
    on required roles, and the check that the incident does not stay open forever."""
    severity = deps.policy.severity(incident.severity)
    escalation = deps.policy.escalation
    for item in (DueItem(ACK_DEADLINE, incident.id, incident.declared_at + severity.ack_timeout),
                 DueItem(STATUS_REMINDER, incident.id, incident.declared_at + severity.update_cadence),
                 DueItem(ROLE_UNFILLED, incident.id, incident.declared_at + escalation.role_unfilled_after),
                 DueItem(STALE_CHECK, incident.id, incident.declared_at + escalation.stale_after)):
        await deps.due_work.schedule(item)


async def schedule_status_reminder(incident: Incident, events: Sequence[TimelineEvent],
                                   deps: Dependencies) -> None:
    """An update, a snooze or a reopen moves the next reminder; the older item finds itself stale."""
    due = incident.next_status_reminder(deps.policy)
    if due is not None:
        await deps.due_work.schedule(DueItem(STATUS_REMINDER, incident.id, due))


async def after_escalation(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The new holder is told, and gets the severity's acknowledgement timeout in turn."""
    for event in events:
        if event.kind != "escalated":
            continue
        role = next(k for k in event.after if k != "reason")
        holder = incident.holder(role)
        if role == "commander" and incident.acknowledged_at is None:
            timeout = deps.policy.severity(incident.severity).ack_timeout
            await deps.due_work.schedule(DueItem(ACK_DEADLINE, incident.id, event.at + timeout))
        values = {"role": deps.policy.role(role).name, "reason": event.after.get("reason", ""),
                  "previous": event.before.get(role, "")}
        await deps.notifier.alert(incident, Alert("escalated", (holder,) if holder else (), values))
        # Escalation also goes by email: the new holder may not be looking at Teams, or Teams is down.
        if deps.mailer is not None and holder is not None and holder.email:
            await deps.mailer.send_template(
                (holder.email,), f"[{incident.id}] You are now {values['role']}: {incident.title}", "escalated",
                {"incident": incident, "status": incident.status.value, "language": incident.language,
                 "channel": "the incident's thread", **values})


async def warn_missing_delegates(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """No role may hang on one person: a required role without a delegate in the roster is said at once."""
    missing = []
    for role in deps.policy.severity(incident.severity).required_roles:
        entry = None
        for service in (*incident.services, ORGANISATION_ROSTER):
            entry = await deps.roster.get(service, role)
            if entry is not None:
                break
        if entry is None or not entry.delegates:
            missing.append(deps.policy.role(role).name)
    if missing:
        commander = incident.holder("commander")
        await deps.notifier.alert(incident, Alert("no_delegates", (commander,) if commander else (),
                                                  {"roles": ", ".join(missing)}))


async def tell_declared(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_declared(incident)


async def refresh_cards(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Cards show the incident as stored now, not as it was when this reaction was scheduled."""
    await deps.notifier.incident_changed(await deps.incidents.get(incident.id), events)


async def tell_resolved(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_resolved(incident)


async def mail_stakeholders(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Stakeholders of the severity are told by email, always: executives never need Teams."""
    stakeholders = deps.policy.stakeholders(incident.severity)
    if deps.mailer is None or not stakeholders:
        return
    kinds = {e.kind for e in events}
    if "declared" in kinds:
        commander = incident.holder("commander")
        await deps.mailer.send_template(
            stakeholders, _subject(incident, "declared"), "declared",
            {"incident": incident, "kind": deps.policy.incident_type(incident.type).name,
             "commander": commander.name if commander else "not yet assigned",
             "cadence": int(deps.policy.severity(incident.severity).update_cadence.total_seconds() // 60)})
    if "resolved" in kinds and incident.resolved_at is not None:
        minutes = int((incident.resolved_at - incident.declared_at).total_seconds() // 60)
        await deps.mailer.send_template(stakeholders, _subject(incident, "resolved"), "resolved", {
            "incident": incident, "duration": f"{minutes // 60} h {minutes % 60:02d} min"})


def _subject(incident: Incident, what: str) -> str:
    title = "security incident" if incident.private else incident.title
    return f"[{incident.id}] {incident.severity} {what}: {title}"


# Kinds of timeline event → what follows them; any other kind refreshes the cards.
REACTIONS: dict[str, Sequence[Reaction]] = {
    "declared": (schedule_first_deadlines, tell_declared, mail_stakeholders, warn_missing_delegates),
    "resolved": (refresh_cards, tell_resolved, mail_stakeholders),
    "update_posted": (refresh_cards, schedule_status_reminder),
    "reminders_snoozed": (schedule_status_reminder,),
    "reopened": (refresh_cards, schedule_status_reminder),
    "escalated": (refresh_cards, after_escalation),
}
DEFAULT_REACTIONS: Sequence[Reaction] = (refresh_cards,)
