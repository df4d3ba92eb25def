"""What happens after a change is stored: deadlines scheduled, people told, cards kept true."""

from __future__ import annotations

from collections.abc import Sequence

from incident.invitations import INVITED, invited_by
from incident.model import Incident, TimelineEvent
from services.alert_handlers import alert_reactions
from services.assessment import assessment_reactions
from services.bridge import bridge_reactions, open_bridge
from services.bus import Dependencies, EventReaction, Reaction, repeatable
from services.fallback import FallbackMail, mail_once, resolved_values, send_batches_once
from services.mail_content import incident_view, subject
from services.people_language import by_language
from services.playbooks import PLAYBOOK_REACTIONS, flag_missing_playbook
from services.ports import Alert, DueItem
from services.postmortem_reactions import POSTMORTEM_REACTIONS
from services.response_plan import mail_response_plan, plan_step_items
from services.roster_service import holders_for_roles
from services.severity_news import mail_new_audiences, tell_severity_change
from services.status_page import STATUS_PAGE_REACTIONS
from services.subscriber_mail import SUBSCRIBER_REACTIONS
from services.task_timers import task_reactions
from services.timers import ACK_DEADLINE, ROLE_UNFILLED, STALE_CHECK, STATUS_REMINDER, for_effort


@repeatable
async def schedule_first_deadlines(incident: Incident, events: Sequence[TimelineEvent],
                                   deps: Dependencies) -> None:
    """From the severity's (and priority's) effort: the acknowledgement deadline, the first status reminder,
    the check on required roles, the check that the incident does not stay open forever, and the response
    plan's steps. All in one storage transaction: each transaction costs the host about three simple requests'
    CPU (bench/declaration_storm.py), and the plan steps were a second one."""
    effort = deps.policy.effort(incident.severity, incident.priority)
    escalation = deps.policy.escalation
    await deps.due_work.schedule_many((
        DueItem(ACK_DEADLINE, incident.id, incident.declared_at + effort.ack_timeout, for_effort(incident)),
        DueItem(STATUS_REMINDER, incident.id, incident.declared_at + effort.update_cadence, for_effort(incident)),
        DueItem(ROLE_UNFILLED, incident.id, incident.declared_at + escalation.role_unfilled_after),
        DueItem(STALE_CHECK, incident.id, incident.declared_at + escalation.stale_after),
        *plan_step_items(incident, deps.policy)))


@repeatable
async def schedule_plan_steps(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A retry stored under this former reaction (before the plan steps joined the first deadlines) schedules
    the plan steps alone: the first deadlines were scheduled already and may have fired since."""
    await deps.due_work.schedule_many(plan_step_items(incident, deps.policy))


# Found by its name when a stored retry names it (services/bus.py reaction_named); no new event runs it.
setattr(schedule_first_deadlines, "former", {"schedule_plan_steps": schedule_plan_steps})  # noqa: B010


EFFORT_CHANGES = ("severity_changed", "priority_changed")  # timeline events that change the effort due


@repeatable
async def follow_the_new_severity(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A new severity or priority brings its own cadence and acknowledgement timeout: the next reminder and,
    while nobody has acknowledged, the deadline are scheduled afresh from the change (older items stand down)."""
    changed = next((e for e in reversed(events) if e.kind in EFFORT_CHANGES), None)
    if changed is None or not incident.status.is_active:
        return
    items = []
    due = incident.next_status_reminder(deps.policy)
    if due is not None:
        items.append(DueItem(STATUS_REMINDER, incident.id, max(due, changed.at), for_effort(incident)))
    if incident.acknowledged_at is None:
        timeout = deps.policy.effort(incident.severity, incident.priority).ack_timeout
        items.append(DueItem(ACK_DEADLINE, incident.id, changed.at + timeout, for_effort(incident)))
    await deps.due_work.schedule_many(items)


@repeatable
async def schedule_status_reminder(incident: Incident, events: Sequence[TimelineEvent],
                                   deps: Dependencies) -> None:
    """An update, a snooze or a reopen moves the next reminder; the older item finds itself stale."""
    due = incident.next_status_reminder(deps.policy)
    if due is not None:
        await deps.due_work.schedule(DueItem(STATUS_REMINDER, incident.id, due, for_effort(incident)))


async def after_escalation(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The new holder is told, and gets the severity's acknowledgement timeout in turn."""
    for event in events:
        if event.kind != "escalated":
            continue
        role = next(k for k in event.after if k != "reason")
        holder = incident.holder(role)
        if role == "commander" and incident.acknowledged_at is None:
            timeout = deps.policy.effort(incident.severity, incident.priority).ack_timeout
            await deps.due_work.schedule(DueItem(ACK_DEADLINE, incident.id, event.at + timeout, for_effort(incident)))
        values = {"role": deps.policy.role(role).name, "reason": event.after.get("reason", ""),
                  "previous": event.before.get(role, "")}
        # Escalation also goes by email: the new holder may not be looking at Teams, or Teams is down.
        # Mailed first under this reaction's delivery key, so a failing Teams alert does not mail again.
        if deps.mailer is not None and holder is not None and holder.email:
            title = "security incident" if incident.private else incident.title
            titre = "incident de sécurité" if incident.private else incident.title
            mail = FallbackMail("escalated", "escalated", (holder,), dict(values),
                                subject=f"[{incident.id}] You are now {values['role']}: {title}",
                                subjects={"fr": f"[{incident.id}] Vous êtes maintenant {values['role']} : {titre}"})
            await mail_once(deps, incident, mail)
        await deps.notifier.alert(incident, Alert("escalated", (holder,) if holder else (), values))


async def warn_missing_delegates(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """No role may hang on one person: a required role whose chain, as the roster stands at the declaration
    (rotation and overrides applied), has nobody after its holder is said at once."""
    required = deps.policy.effort(incident.severity, incident.priority).required_roles
    found = await holders_for_roles(deps.roster, incident.services, required, incident.declared_at)
    missing = []
    for role in required:
        holder = incident.holder(role)
        reachable = [p for p in (found[role].chain if role in found else ()) if holder is None or p.id != holder.id]
        if len(reachable) < (1 if holder is not None else 2):
            missing.append(deps.policy.role(role).name)
    if missing:
        commander = incident.holder("commander")
        await deps.notifier.alert(incident, Alert("no_delegates", (commander,) if commander else (),
                                                  {"roles": ", ".join(missing)}))


async def tell_invited(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The people invited after the declaration, @mentioned in the incident's space as the declaration's invitation
    does (in a thread, a mention is the invitation); by email when Teams cannot carry it (services/fallback.py)."""
    for event in events:
        if event.kind == INVITED and (people := invited_by(incident, event)):
            await deps.notifier.alert(incident, Alert("invited", people, {"by": event.actor.name or event.actor.id}))


async def tell_declared(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_declared(incident)


@repeatable
async def refresh_cards(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Cards show the incident as stored now, not as it was when this reaction was scheduled."""
    await deps.notifier.incident_changed(await deps.incidents.get(incident.id), events)


async def tell_resolved(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    await deps.notifier.incident_resolved(incident)


@repeatable
async def mail_stakeholders(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Stakeholders of the severity are told by email, always: executives never need Teams. One
    message per batch of recipients (no personal links), so thousands cost a handful of sends.
    Repeatable: each message is claimed under the save's delivery key, so a second run sends nothing again
    (and the outbox is spared a write per declaration)."""
    stakeholders = deps.policy.stakeholders(incident.severity, incident.priority)
    if deps.mailer is None or not stakeholders:
        return
    kinds = {e.kind for e in events}
    if "declared" in kinds and deps.policy.severity(incident.severity).bridge:
        incident = await deps.incidents.get(incident.id)  # as stored now: with the bridge opened just before
    cadence = deps.policy.effort(incident.severity, incident.priority).update_cadence
    # Each language group in its own language (services.people_language), each message claimed once
    # (send_batches_once): a retry after a failure resends only what was not sent.
    for language, addresses in (await by_language(deps, stakeholders, incident)).items():
        view = await incident_view(deps, incident, restricted=True, language=language)
        if "declared" in kinds:
            commander = incident.holder("commander")
            await send_batches_once(deps, incident, addresses, subject(incident, "declared", language), "declared", {
                "view": view, "kind": deps.policy.incident_type(incident.type).name,
                "services": list(incident.services), "commander": commander.name if commander else "not yet assigned",
                "stakeholder": True, "cadence": int(cadence.total_seconds() // 60)})
        if "update_posted" in kinds:
            changes = [e.summary for e in events]
            await send_batches_once(deps, incident, addresses, subject(incident, "status update", language),
                                    "status_update", {"view": view, "changes": changes, "stakeholder": True})
        if "resolved" in kinds and incident.resolved_at is not None:
            await send_batches_once(deps, incident, addresses, subject(incident, "resolved", language), "resolved",
                                    {"view": view, **resolved_values(incident)})


# Kinds of timeline event → what follows them; any other kind refreshes the cards.
REACTIONS: dict[str, Sequence[Reaction]] = {
    # The bridge after the cards (they never wait for it), before the stakeholders' email (it carries the link).
    "declared": (schedule_first_deadlines, tell_declared, open_bridge, mail_stakeholders, warn_missing_delegates,
                 mail_response_plan, flag_missing_playbook),
    "resolved": (refresh_cards, tell_resolved, mail_stakeholders),
    "update_posted": (refresh_cards, schedule_status_reminder, mail_stakeholders),
    "reminders_snoozed": (schedule_status_reminder,),
    "reopened": (refresh_cards, schedule_status_reminder),
    "escalated": (refresh_cards, after_escalation),
    # Severity changes are news (services.severity_news): the broadcast thread, and the audiences a raise adds.
    "severity_changed": (refresh_cards, follow_the_new_severity, tell_severity_change, mail_new_audiences),
    "priority_changed": (refresh_cards, follow_the_new_severity),  # the risk assessment's decision, or by hand
    INVITED: (refresh_cards, tell_invited),  # people invited after the declaration (incident/invitations.py)
    "note_added": (),  # a note (incident/notes.py) changes nothing a card shows: no call to Teams for it
    "note_pinned": (), "note_unpinned": (),  # nor does making a note a key event (``pin <n>``)
}
DEFAULT_REACTIONS: Sequence[Reaction] = (refresh_cards,)
REACTIONS |= assessment_reactions(refresh_cards)  # risk assessment: the deadline, the commander told
REACTIONS |= bridge_reactions(refresh_cards)  # a stored bridge link: the cards redrawn, the people invited
REACTIONS |= alert_reactions(refresh_cards)  # a resolved alert: the criterion ticked, the commander told
REACTIONS |= task_reactions(refresh_cards)  # a due task: its reminder scheduled
# After resolution (services.postmortem_reactions): the cards are refreshed as for any change, then these.
for _kind, _then in POSTMORTEM_REACTIONS.items():
    REACTIONS[_kind] = (*REACTIONS.get(_kind, DEFAULT_REACTIONS), *_then)
for _kind, _then in STATUS_PAGE_REACTIONS.items():  # the public status page (services.status_page)
    REACTIONS[_kind] = (*REACTIONS.get(_kind, DEFAULT_REACTIONS), *_then)
for _kind, _then in SUBSCRIBER_REACTIONS.items():  # public updates to subscribers (services.subscriber_mail)
    REACTIONS[_kind] = (*REACTIONS.get(_kind, DEFAULT_REACTIONS), *_then)

# Events of changes outside any incident (services.bus.Recorded), by type → what follows them.
EVENT_REACTIONS: dict[type, Sequence[EventReaction]] = {**PLAYBOOK_REACTIONS}
