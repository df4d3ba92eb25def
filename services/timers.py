"""One timer tick: act on the due work that is due, each item claimed first, so nothing fires twice.

A tick reads only due items (a range query on the due-time key), claims each with a conditional
update, acts, then completes it. Items are hints checked against the stored incident: an item made
stale by a later change (an update, an acknowledgement) is completed without acting. After downtime
an overdue item fires once and schedules its successor from now, not once per missed period. A
failure leaves the item due with a growing backoff, so a later tick retries it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incident import commands
from incident.errors import ConcurrencyConflict, DevopsbotError, NotFound
from incident.escalation import next_holder
from incident.model import Incident, Person
from services.alert_triage import TRIAGE_DEADLINE, at_deadline
from services.assessment import ASSESSMENT_WORK
from services.bus import EVENT_SWEEP, RETRY_EVENT_REACTION, RETRY_REACTION, MessageBus
from services.heartbeat import record_heartbeat
from services.maintenance import MAINTENANCE_EDGE, at_window_edge
from services.outbox import DELIVERY_KEY, OUTBOX_SWEEP
from services.ports import Alert, DueItem
from services.postmortem_timers import POSTMORTEM_WORK
from services.response_plan import PLAN_STEP_DUE, remind_overdue_steps
from services.roster_service import chain_for
from services.task_timers import TASK_WORK, tell_overdue_tasks
from services.telemetry_ports import DUE_WORK, DUE_WORK_LAG, telemetry
from services.timer_work import Next, Work
from services.tracing_ports import traced

log = logging.getLogger(__name__)

ACK_DEADLINE = "ack_deadline"
STATUS_REMINDER = "status_reminder"
ROLE_UNFILLED = "role_unfilled"
STALE_CHECK = "stale_check"
LEASE = timedelta(minutes=5)  # longer than any one item takes; a crashed worker's claim expires
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 48  # with the backoff capped at an hour: about two days of trying
ORGANISATION_ROSTER = "*"  # the roster row used when an incident's services have none for a role


@dataclass
class TickReport:
    due: int = 0
    acted: int = 0
    skipped: int = 0  # claimed by another run first
    failed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def for_effort(incident: Incident) -> dict[str, str]:
    """The payload of items whose timing the severity and priority set (reminders, acknowledgement deadlines)."""
    return {"severity": incident.severity, "priority": incident.priority}


def set_for_another_effort(item: DueItem, incident: Incident) -> bool:
    """A severity or priority change scheduled fresh items on the new cadence and timeout; the old ones
    stand down. Items stored before priorities counted carry no priority and follow only the severity."""
    severity = item.payload.get("severity")
    if severity and severity != incident.severity:
        return True
    return "priority" in item.payload and item.payload["priority"] != incident.priority


async def remind_commander(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    deps = bus.dependencies
    expected = incident.next_status_reminder(deps.policy)
    if expected is None or item.due_at < expected - timedelta(seconds=1) or set_for_another_effort(item, incident):
        return Next()  # resolved, or an update, a snooze, a new severity or priority moved it: a newer item exists
    await deps.notifier.remind(incident)
    cadence = deps.policy.effort(incident.severity, incident.priority).update_cadence
    return Next((DueItem(STATUS_REMINDER, incident.id, now + cadence, for_effort(incident)),))


async def escalate_unacknowledged(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    deps = bus.dependencies
    if incident.acknowledged_at is not None or not incident.status.is_active:
        return Next()
    if set_for_another_effort(item, incident):
        return Next()  # the severity or priority changed: its own deadline was scheduled then
    effort = deps.policy.effort(incident.severity, incident.priority)
    window = effort.severity.coverage.next_covered(now)
    if window > now:  # business-hours severity outside its hours: wait for the next window
        return Next((DueItem(ACK_DEADLINE, incident.id, window, for_effort(incident)),))
    current = incident.holder("commander")
    chain = await commander_chain(incident, bus, now)
    successor = next_holder(chain, current, deps.policy.escalation.contact)
    if successor is None:
        await deps.notifier.alert(incident, Alert("escalation_exhausted", tuple(p for p in (current,) if p),
                                                  {"role": deps.policy.role("commander").name}))
        return Next()
    reason = f"not acknowledged within {int(effort.ack_timeout.total_seconds() // 60)} min"
    await bus.handle(commands.Escalate(incident.id, "commander", successor, reason))
    return Next()  # the escalation's reaction schedules the next deadline and tells people


async def commander_chain(incident: Incident, bus: MessageBus, now: datetime) -> tuple[Person, ...]:
    """The roster's chain for the commander role as it stands at ``now`` (rotation and overrides
    applied): the incident's first service with one, else the organisation-wide row. The deputy of the
    incident, if any, comes first."""
    deputy = incident.holder("deputy")
    chain: tuple[Person, ...] = (deputy,) if deputy else ()
    return chain + await chain_for(bus.dependencies.roster, incident.services, "commander", now)


async def check_roles(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    deps = bus.dependencies
    missing = incident.unfilled_roles(deps.policy)
    if not missing or not incident.status.is_active:
        return Next()
    window = deps.policy.severity(incident.severity).coverage.next_covered(now)
    if window > now:
        return Next((DueItem(ROLE_UNFILLED, incident.id, window),))
    names = ", ".join(deps.policy.role(r).name for r in missing)
    people = tuple(p for p in (incident.holder("commander"),) if p)
    await deps.notifier.alert(incident, Alert("roles_unfilled", people, {"roles": names}))
    return Next()


async def flag_stale(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    deps = bus.dependencies
    if not incident.status.is_active:
        return Next()  # resolved: what it still owes (its postmortem) has clocks of its own
    days = max(1, int((now - incident.declared_at).total_seconds() // 86400))
    await deps.notifier.alert(incident, Alert("stale", (), {"days": str(days)}))
    await tell_overdue_tasks(incident, deps, now)  # what it is waiting on, and who owes it
    return Next((DueItem(STALE_CHECK, incident.id, now + timedelta(days=1)),))  # daily until closed


async def retry_reaction(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    sequences = [int(s) for s in str(item.payload.get("events", "")).split(",") if s.strip().isdigit()]
    await bus.retry_reaction(incident, str(item.payload.get("reaction", "")), sequences)
    return Next()


async def sweep_outbox(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    await bus.sweep_outbox(incident)
    return Next()


async def remind_plan_steps(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    await remind_overdue_steps(item, incident, bus.dependencies, now)
    return Next()  # once per step: no successor


WORK: dict[str, Work] = {
    OUTBOX_SWEEP: sweep_outbox,
    RETRY_REACTION: retry_reaction,
    STATUS_REMINDER: remind_commander,
    ACK_DEADLINE: escalate_unacknowledged,
    ROLE_UNFILLED: check_roles,
    STALE_CHECK: flag_stale,
    **POSTMORTEM_WORK,  # after resolution: postmortem reminders, overdue follow-ups
    PLAN_STEP_DUE: remind_plan_steps,
    **ASSESSMENT_WORK,  # risk assessment: reveal what is in at the deadline
    **TASK_WORK,  # a task's one reminder to its owner when due
}


async def run_tick(bus: MessageBus, now: datetime, *, limit: int = 200) -> TickReport:
    with traced("timer tick"):  # one operation id for the tick, its items and what they change
        return await _tick(bus, now, limit)


async def _tick(bus: MessageBus, now: datetime, limit: int) -> TickReport:
    deps = bus.dependencies
    report = TickReport()
    for item in await deps.due_work.due(now, limit):
        report.due += 1
        with traced(f"due work {item.kind}", _incident_of(item)):  # its log lines name the incident
            await _run_item(item, bus, now, report)
    await bus.drain()  # what the work changed is told before the tick ends
    await record_heartbeat(deps.state, now, report.due, report.acted, report.failed)
    return report


async def _run_item(item: DueItem, bus: MessageBus, now: datetime, report: TickReport) -> None:
    """Claim the item, act on it, then complete it, schedule its successors, or retry it later."""
    deps = bus.dependencies
    claimed = await deps.due_work.claim(item, now, LEASE)
    if claimed is None:
        report.skipped += 1
        telemetry().count(DUE_WORK, {"kind": item.kind, "outcome": "taken_elsewhere"})
        return
    if claimed.attempts > MAX_ATTEMPTS:
        log.error("%s for %s failed %d times; giving up on it", claimed.kind, claimed.incident_id,
                  claimed.attempts - 1)
        await deps.due_work.complete(claimed)
        telemetry().count(DUE_WORK, {"kind": claimed.kind, "outcome": "given_up"})
        return
    token = DELIVERY_KEY.set(f"{claimed.kind}:{claimed.due_at.isoformat()}")  # names this notification
    try:
        outcome = await _act(claimed, bus, now)
    except (DevopsbotError, OSError) as error:
        report.failed += 1
        telemetry().count(DUE_WORK, {"kind": claimed.kind, "outcome": "retried"})
        backoff = min(MAX_BACKOFF, timedelta(minutes=2 ** min(claimed.attempts - 1, 6)))
        log.warning("%s for %s failed (attempt %d), retrying after %s: %s", claimed.kind,
                    claimed.incident_id, claimed.attempts, backoff, error)
        try:
            await deps.due_work.retry_later(claimed, now + backoff)
        except ConcurrencyConflict:
            pass  # its lease ran out and another run took it over
        return
    finally:
        DELIVERY_KEY.reset(token)
    for successor in outcome.schedule:
        await deps.due_work.schedule(successor)
    await deps.due_work.complete(claimed)
    report.acted += 1
    report.kinds[claimed.kind] = report.kinds.get(claimed.kind, 0) + 1
    telemetry().count(DUE_WORK, {"kind": claimed.kind, "outcome": "done"})
    telemetry().observe(DUE_WORK_LAG, max(0.0, (deps.clock.now() - claimed.due_at).total_seconds()),
                        {"kind": claimed.kind})


def _incident_of(item: DueItem) -> str:
    outside = item.incident_id.startswith(("event:", "maintenance:"))  # work outside any incident
    return "" if outside else item.incident_id


async def _act(item: DueItem, bus: MessageBus, now: datetime) -> Next:
    if item.kind == RETRY_EVENT_REACTION:  # a change outside any incident (a playbook's review mail)
        await bus.retry_event_reaction(item.payload)
        return Next()
    if item.kind == EVENT_SWEEP:  # what a crash may have left untold of such a change
        await bus.sweep_event(item.payload)
        return Next()
    if item.kind == TRIAGE_DEADLINE:  # an alert's triage card, before any incident exists
        await at_deadline(bus, item)
        return Next()
    if item.kind == MAINTENANCE_EDGE:  # a maintenance window starts or ends: the status page follows
        await at_window_edge(bus.dependencies)
        return Next()
    work = WORK.get(item.kind)
    if work is None:
        log.error("unknown due work %r for %s: dropped", item.kind, item.incident_id)
        return Next()
    try:
        incident = await bus.dependencies.incidents.get(item.incident_id)
    except NotFound:
        return Next()  # the incident's declaration never completed: nothing to do
    return await work(item, incident, bus, now)
