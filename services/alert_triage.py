"""``triage``: an alert people decide on. One card per firing alert in the incidents channel (Declare, Attach to
an open incident, Dismiss); a deadline (due work TRIAGE_DEADLINE) declares or dismisses it, as the rule says.

The decision happens once, whoever comes first (a click on any host, a second click, the deadline, the alert
resolving at its source): it is claimed under the signal's key (services.once), and the others get the decision
made. The card is then redrawn in place, saying what happened and who decided, without buttons. Repeats of the
alert while the card is open count on it (redrawn at most once a minute). An open card of an alert is a row of
the alert groups (``triage`` + source + fingerprint) pointing at the signal it was opened for.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from incident.errors import ConcurrencyConflict, InvalidValue, NotFound, NotificationFailed
from incident.model import Person
from incident.signals import AlertRule, GroupOpen, RuleAction, Signal, StoredSignal, digest
from services.alert_actions import GROUP_ATTEMPTS, attach, declare, is_open, remember
from services.bus import MessageBus
from services.once import once
from services.operation_ports import AuditRecord
from services.ports import DueItem
from services.signal_ports import SignalRepository
from services.triage_ports import TriageCard

log = logging.getLogger(__name__)
TRIAGE_DEADLINE = "triage_deadline"
OPEN = "awaiting triage"  # the outcome of a signal whose card is undecided
LEASE = timedelta(minutes=2)
CHOICES = ("declare", "attach", "dismiss", "deadline", "resolved")
MAX_CHOICES = 20  # open incidents offered on the card


def _open_card_key(signal: Signal) -> str:
    return f"triage\x1f{signal.source}\x1f{signal.fingerprint}"


def _deadline(signal: Signal, rule: AlertRule | None) -> datetime:
    return signal.received_at + (rule.triage_deadline if rule else timedelta(minutes=30))


def _signals(bus: MessageBus) -> SignalRepository:
    signals = bus.dependencies.signals
    if signals is None:
        raise NotFound("no alert store is configured")
    return signals


async def open_card(bus: MessageBus, signals: SignalRepository, signal: Signal, rule: AlertRule,
                    severity: str) -> tuple[str, str]:
    """A firing alert under a ``triage`` rule: its card (or one more count on the card already open for it)."""
    key = _open_card_key(signal)
    for _ in range(GROUP_ATTEMPTS):
        group, tag = await signals.group(key)
        if group is not None and group.incident_id and group.incident_id != signal.key:
            earlier = await signals.get(group.incident_id)
            if earlier is not None and earlier.outcome.startswith(OPEN):
                _, counted = await signals.record(earlier)  # one more delivery of the alert on its card
                await count_repeat(bus, counted)
                return "counted on the open triage card of this alert", ""
        try:
            await signals.save_group(key, GroupOpen(signal.key, signal.received_at, signal.received_at), tag)
            break
        except ConcurrencyConflict:
            continue  # another notification of the alert opened its card at this moment: count on it
    else:
        raise ConcurrencyConflict("this alert's triage card kept changing; the sender's retry will place it")
    deadline = _deadline(signal, rule)
    await bus.dependencies.due_work.schedule(DueItem(TRIAGE_DEADLINE, f"TRIAGE-{digest(signal.key)}", deadline,
                                                     {"signal": signal.key}))
    outcome = f"{OPEN} (rule {rule.name}) until {deadline:%Y-%m-%d %H:%M} UTC"
    await _show(bus, StoredSignal(signal, severity, outcome=outcome))
    return outcome, ""


async def count_repeat(bus: MessageBus, stored: StoredSignal) -> None:
    """A repeat of an alert whose card is open: the count on the card, redrawn at most once a minute."""
    if not stored.outcome.startswith(OPEN):
        return
    now = bus.dependencies.clock.now()
    async with once(bus.dependencies.idempotency, f"triage-count/{digest(stored.signal.key)}/{now:%Y%m%d%H%M}",
                    now, LEASE) as claim:
        if claim.owned:
            current = await _signals(bus).get(stored.signal.key)
            if current is not None and current.outcome.startswith(OPEN):  # not decided meanwhile
                await _show(bus, current)


async def decide(bus: MessageBus, key: str, choice: str, actor: Person | None = None,
                 incident_id: str = "") -> TriageCard:
    """The decision on the card of signal ``key`` (see the module's docstring); the card as it now stands."""
    deps = bus.dependencies
    signals = _signals(bus)
    if choice not in CHOICES:
        raise InvalidValue("decision", f"'{choice}' is not one of {', '.join(CHOICES)}")
    stored = await signals.get(key)
    if stored is None:
        raise NotFound("this alert is no longer stored")
    now = deps.clock.now()
    async with once(deps.idempotency, f"triage/{digest(key)}", now, LEASE) as claim:
        if not claim.owned:
            if not claim.record.done:
                raise ConcurrencyConflict("someone is deciding on this alert right now; look again in a moment")
            made = json.loads(claim.record.result)
            return await _card(bus, stored, made["decision"], made["by"], made["incident"])
        if not stored.outcome.startswith(OPEN):
            raise InvalidValue("alert", "this alert is not waiting for triage")
        decision, incident = await _carry_out(bus, signals, stored, choice, incident_id)
        claim.acted()
        by = actor.name if actor else ""
        await signals.set_outcome(key, f"triage: {decision} {incident}".rstrip() + (f" by {by}" if by else ""),
                                  incident)
        claim.result = json.dumps({"decision": decision, "by": by, "incident": incident})
    await _close(signals, stored.signal)
    if deps.audit is not None:
        await deps.audit.record(AuditRecord(now, "alert_triaged", {
            "alert": digest(key), "decision": decision, "incident": incident,
            "by": actor.id if actor else "deadline", "name": by}))
    card = await _card(bus, stored, decision, by, incident)
    await _post(bus, card)
    return card


async def _carry_out(bus: MessageBus, signals: SignalRepository, stored: StoredSignal, choice: str,
                     incident_id: str) -> tuple[str, str]:
    """(decision, incident id): declared, attached, dismissed, expired or resolved."""
    signal = stored.signal
    rule = bus.dependencies.policy.alerts.rule_for(signal, stored.severity)
    if choice == "deadline":
        choice = "declare" if rule is not None and rule.after_deadline == "declare" else "expire"
    if choice == "declare":
        incident = await declare(bus, bus.dependencies.policy.alerts, signal,
                                 rule or AlertRule(name="triage", action=RuleAction.TRIAGE), stored.severity,
                                 f"alert-triage\x1f{signal.key}")
        await remember(signals, signal, incident.id)
        return "declared", incident.id
    if choice == "attach":
        if not incident_id or not await is_open(bus, incident_id):
            raise InvalidValue("incident", "choose an open incident to attach this alert to")
        await attach(bus, signals, signal, incident_id)
        return "attached", incident_id
    return {"dismiss": "dismissed", "expire": "expired", "resolved": "resolved"}[choice], ""


async def _close(signals: SignalRepository, signal: Signal) -> None:
    """The alert has no open card any more: its next firing opens a new one."""
    key = _open_card_key(signal)
    for _ in range(GROUP_ATTEMPTS):
        group, tag = await signals.group(key)
        if group is None or group.incident_id != signal.key:
            return
        try:
            await signals.save_group(key, GroupOpen("", group.opened_at, group.last_at), tag)
            return
        except ConcurrencyConflict:
            continue


async def open_card_of(signals: SignalRepository, signal: Signal) -> str:
    """The key of the signal whose card is open for this alert, or ""."""
    group, _ = await signals.group(_open_card_key(signal))
    if group is None or not group.incident_id:
        return ""
    earlier = await signals.get(group.incident_id)
    return group.incident_id if earlier is not None and earlier.outcome.startswith(OPEN) else ""


async def at_deadline(bus: MessageBus, item: DueItem) -> None:
    """TRIAGE_DEADLINE: what the rule says, unless someone decided first (then nothing)."""
    key = str(item.payload.get("signal", ""))
    stored = await _signals(bus).get(key)
    if stored is None or not stored.outcome.startswith(OPEN):
        return
    await decide(bus, key, "deadline")


async def _card(bus: MessageBus, stored: StoredSignal, decision: str = "", by: str = "",
                incident_id: str = "") -> TriageCard:
    deps = bus.dependencies
    signal = stored.signal
    rule = deps.policy.alerts.rule_for(signal, stored.severity)
    choices: tuple[tuple[str, str], ...] = ()
    if not decision:
        active = [i for i in await deps.incidents.list_open() if i.status.is_active and not i.private]
        same = [i for i in active if signal.service and signal.service in i.services]
        choices = tuple((i.id, i.title) for i in sorted(same or active, key=lambda i: i.declared_at,
                                                        reverse=True)[:MAX_CHOICES])
    return TriageCard(signal_key=signal.key, card_id=digest(signal.key), source=signal.source,
                      summary=signal.summary, service=signal.service, severity=stored.severity, links=signal.links,
                      deadline=_deadline(signal, rule), after_deadline=rule.after_deadline if rule else "dismiss",
                      count=stored.deliveries, open_incidents=choices, decision=decision, decided_by=by,
                      incident_id=incident_id)


async def _show(bus: MessageBus, stored: StoredSignal) -> None:
    await _post(bus, await _card(bus, stored))


async def _post(bus: MessageBus, card: TriageCard) -> None:
    """Teams failing does not undo a decision: the log says so, and the next redraw posts the card."""
    cards = bus.dependencies.triage
    if cards is None:
        return
    try:
        await cards.show(card)
    except NotificationFailed as error:
        log.warning("could not show the triage card of an alert: %s", error)
