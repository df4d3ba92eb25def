"""From a notification's signals to what the rules say: each signal stored once, then declared, attached to
its group's incident, ignored, or (when resolved) a hint to the incident's commander.

A repeat (the same notification again: a sender's retry, Alertmanager's repeat_interval) only counts: no
rule runs twice, no message is posted. A signal stored but not acted on (the host stopped half-way) is
acted on by the next delivery once PROCESSING_LEASE has passed; the declaration's idempotency key makes
sure that cannot open a second incident. Signals with the same group key within the rule's window go to
one incident; of two opening a group at once, one declares and the other attaches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from incident.errors import ConcurrencyConflict, ConfigurationError, DevopsbotError, DomainError
from incident.signal_changes import NoteSignalResolved
from incident.signals import (
    AlertPolicy,
    AlertRule,
    GroupOpen,
    RuleAction,
    Signal,
    SignalState,
    StoredSignal,
    digest,
    group_key,
)
from services.alert_actions import GROUP_ATTEMPTS, attach, declare, fingerprint_key, is_open, remember
from services.alert_payloads import parse
from services.alert_triage import count_repeat, decide, open_card, open_card_of
from services.bus import MessageBus
from services.signal_ports import SignalRepository
from services.telemetry_ports import ALERT_INCIDENTS, ALERT_SIGNALS, telemetry

log = logging.getLogger(__name__)
PROCESSING_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Taken:
    """What became of one signal of a notification (the HTTP answer lists them)."""

    key: str
    state: str
    outcome: str
    incident_id: str = ""
    repeat: bool = False
    deliveries: int = 1


async def ingest(bus: MessageBus, source: str, body: bytes) -> list[Taken]:
    """One notification from ``source``, parsed whole (MalformedAlert: nothing stored), then each signal taken."""
    deps = bus.dependencies
    if deps.signals is None:
        raise ConfigurationError("alerts", "signals", "no signal store is configured")
    incoming = parse(source, body, deps.clock.now(), deps.policy.alerts)
    return [await take_one(bus, deps.signals, deps.policy.alerts, signal) for signal in incoming]


async def take_one(bus: MessageBus, signals: SignalRepository, alerts: AlertPolicy, signal: Signal) -> Taken:
    deps = bus.dependencies
    least = deps.policy.severities[-1].name
    severity = alerts.severity_of(signal, least)
    new, stored = await signals.record(StoredSignal(signal, severity))
    telemetry().count(ALERT_SIGNALS, {"source": signal.source, "outcome": "new" if new else "repeat"})
    if not new and (stored.outcome or deps.clock.now() - stored.signal.received_at < PROCESSING_LEASE):
        await count_repeat(bus, stored)  # an open triage card shows the count
        return Taken(signal.key, signal.state.value, stored.outcome or "being handled", stored.incident_id,
                     repeat=True, deliveries=stored.deliveries)
    try:
        outcome, incident_id = await _act(bus, signals, alerts, signal, severity)
    except DomainError as error:  # the rule cannot apply to this alert (e.g. its incident closed meanwhile)
        outcome, incident_id = f"not acted on: {error}", ""
    except BaseException:
        await _release(signals, signal.key)  # the sender's retry (it got a 5xx) acts again, once
        raise
    await signals.set_outcome(signal.key, outcome, incident_id)
    return Taken(signal.key, signal.state.value, outcome, incident_id, deliveries=stored.deliveries)


async def _act(bus: MessageBus, signals: SignalRepository, alerts: AlertPolicy, signal: Signal,
               severity: str) -> tuple[str, str]:
    """What the first matching rule says, as (outcome, incident id)."""
    rule = alerts.rule_for(signal, severity)
    if signal.state is SignalState.RESOLVED:
        return await _resolved(bus, signals, signal, rule)
    if rule is None:
        return "no rule matched", ""
    if rule.action is RuleAction.IGNORE:
        return f"ignored (rule {rule.name})", ""
    if rule.action is RuleAction.ATTACH:
        return await _attach_to_open(bus, signals, signal, rule)
    if rule.action is RuleAction.TRIAGE:
        return await open_card(bus, signals, signal, rule, severity)
    return await _declare_or_attach(bus, signals, alerts, signal, rule, severity)


async def _release(signals: SignalRepository, key: str) -> None:
    try:
        await signals.release(key)
    except DevopsbotError as error:
        log.warning("could not release an alert (the next delivery after the lease acts on it): %s", error)


async def _attach_to_open(bus: MessageBus, signals: SignalRepository, signal: Signal,
                          rule: AlertRule) -> tuple[str, str]:
    """``attach``: to the group's incident within the window, else the newest open incident of the service."""
    deps = bus.dependencies
    group, _ = await signals.group(group_key(rule, signal))
    if group is not None and group.takes(signal.received_at, rule.group_window) and await is_open(
            bus, group.incident_id):
        return await attach(bus, signals, signal, group.incident_id)
    candidates = [i for i in await deps.incidents.list_open()
                  if signal.service and signal.service in i.services and i.status.is_active]
    if not candidates:
        return f"nothing to attach to (rule {rule.name}): no open incident of '{signal.service or 'no service'}'", ""
    newest = max(candidates, key=lambda i: i.declared_at)
    return await attach(bus, signals, signal, newest.id)


async def _declare_or_attach(bus: MessageBus, signals: SignalRepository, alerts: AlertPolicy, signal: Signal,
                             rule: AlertRule, severity: str) -> tuple[str, str]:
    key = group_key(rule, signal)
    for _ in range(GROUP_ATTEMPTS):
        group, tag = await signals.group(key)
        if group is not None and group.takes(signal.received_at, rule.group_window) and await is_open(
                bus, group.incident_id):
            try:
                await signals.save_group(key, GroupOpen(group.incident_id, group.opened_at, signal.received_at), tag)
            except ConcurrencyConflict:
                # Another alert of the group moved the window at the same moment: it still points where it did
                # (attach without writing), or a new incident replaced it (read it again).
                again, _ = await signals.group(key)
                if again is None or again.incident_id != group.incident_id:
                    continue
            return await attach(bus, signals, signal, group.incident_id)
        # Racing openers of the group use the same idempotency key, so they get the same incident.
        incident = await declare(bus, alerts, signal, rule, severity,
                                  f"alert-group\x1f{key}\x1f{group.incident_id if group else ''}")
        try:
            await signals.save_group(key, GroupOpen(incident.id, signal.received_at, signal.received_at), tag)
        except ConcurrencyConflict:
            continue  # the other opener recorded the group: attach to it on the next round
        await remember(signals, signal, incident.id)
        telemetry().count(ALERT_INCIDENTS, {"source": signal.source})
        return f"declared {incident.id} (rule {rule.name})", incident.id
    raise ConcurrencyConflict("this alert's group kept changing; the sender's retry will place it")


async def _resolved(bus: MessageBus, signals: SignalRepository, signal: Signal,
                    rule: AlertRule | None) -> tuple[str, str]:
    """A hint, never a verdict: the incident is not resolved; its criterion is ticked, its commander told.
    An alert still on an undecided triage card closes the card: nobody needs to decide any more."""
    if opened := await open_card_of(signals, signal):
        await decide(bus, opened, "resolved")
        return "resolved at the source before anyone decided: its triage card is closed", ""
    found, _ = await signals.group(fingerprint_key(signal))
    if found is None or not await is_open(bus, found.incident_id):
        return "resolved; no open incident of this alert", ""
    criterion = rule.exit_criterion if rule is not None else ""
    await bus.handle(NoteSignalResolved(found.incident_id, signal.source, signal.summary, digest(signal.key),
                                        criterion))
    return f"resolved: hint sent to {found.incident_id}", found.incident_id
