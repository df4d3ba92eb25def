"""From a notification's signals to what the rules say: each signal stored once, then declared, attached to
its group's incident, ignored, or (when resolved) a hint to the incident's commander.

A repeat (the same notification again: a sender's retry, Alertmanager's repeat_interval) only counts: no
rule runs twice, no message is posted. A signal stored but not acted on (the host stopped half-way) is
acted on by the next delivery once PROCESSING_LEASE has passed; the declaration's idempotency key makes
sure that cannot open a second incident. Signals with the same group key within the rule's window go to
one incident; of two opening a group at once, one declares and the other attaches.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from incident import commands
from incident.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DeclarationInProgress,
    DevopsbotError,
    DomainError,
    NotFound,
)
from incident.lifecycle import Status
from incident.model import Incident
from incident.signal_changes import AttachSignal, NoteSignalResolved
from incident.signals import (
    ALERTS_ACTOR,
    AlertPolicy,
    AlertRule,
    GroupOpen,
    RuleAction,
    Signal,
    SignalState,
    StoredSignal,
    clip,
    digest,
    group_key,
)
from incident.timeline import MAX_TITLE
from services.alert_payloads import parse
from services.bus import MessageBus
from services.signal_ports import SignalRepository
from services.telemetry_ports import ALERT_INCIDENTS, ALERT_SIGNALS, telemetry

log = logging.getLogger(__name__)
PROCESSING_LEASE = timedelta(minutes=2)
GROUP_ATTEMPTS = 5


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
    return await _declare_or_attach(bus, signals, alerts, signal, rule, severity)


async def _release(signals: SignalRepository, key: str) -> None:
    try:
        await signals.release(key)
    except DevopsbotError as error:
        log.warning("could not release an alert (the next delivery after the lease acts on it): %s", error)


def _fingerprint_key(signal: Signal) -> str:
    return f"fingerprint\x1f{signal.source}\x1f{signal.fingerprint}"


async def _remember(signals: SignalRepository, signal: Signal, incident_id: str) -> None:
    """The alert's incident, for its resolution later (whatever the episode)."""
    now = signal.received_at
    for _ in range(GROUP_ATTEMPTS):
        found, tag = await signals.group(_fingerprint_key(signal))
        try:
            await signals.save_group(_fingerprint_key(signal), GroupOpen(incident_id, found.opened_at if found
                                                                         else now, now), tag)
            return
        except ConcurrencyConflict:
            continue


async def _attach(bus: MessageBus, signals: SignalRepository, signal: Signal, incident_id: str) -> tuple[str, str]:
    await bus.handle(AttachSignal(incident_id, signal.source, signal.summary, digest(signal.key)))
    await _remember(signals, signal, incident_id)
    return f"attached to {incident_id}", incident_id


async def _attach_to_open(bus: MessageBus, signals: SignalRepository, signal: Signal,
                          rule: AlertRule) -> tuple[str, str]:
    """``attach``: to the group's incident within the window, else the newest open incident of the service."""
    deps = bus.dependencies
    group, _ = await signals.group(group_key(rule, signal))
    if group is not None and group.takes(signal.received_at, rule.group_window) and await _open(bus, group.incident_id):
        return await _attach(bus, signals, signal, group.incident_id)
    candidates = [i for i in await deps.incidents.list_open()
                  if signal.service and signal.service in i.services and i.status.is_active]
    if not candidates:
        return f"nothing to attach to (rule {rule.name}): no open incident of '{signal.service or 'no service'}'", ""
    newest = max(candidates, key=lambda i: i.declared_at)
    return await _attach(bus, signals, signal, newest.id)


async def _open(bus: MessageBus, incident_id: str) -> bool:
    try:
        incident = await bus.dependencies.incidents.get(incident_id)
    except NotFound:
        return False
    return incident.status is not Status.CLOSED and incident.status.is_active


async def _declare_or_attach(bus: MessageBus, signals: SignalRepository, alerts: AlertPolicy, signal: Signal,
                             rule: AlertRule, severity: str) -> tuple[str, str]:
    key = group_key(rule, signal)
    for _ in range(GROUP_ATTEMPTS):
        group, tag = await signals.group(key)
        if group is not None and group.takes(signal.received_at, rule.group_window) and await _open(
                bus, group.incident_id):
            try:
                await signals.save_group(key, GroupOpen(group.incident_id, group.opened_at, signal.received_at), tag)
            except ConcurrencyConflict:
                # Another alert of the group moved the window at the same moment: it still points where it did
                # (attach without writing), or a new incident replaced it (read it again).
                again, _ = await signals.group(key)
                if again is None or again.incident_id != group.incident_id:
                    continue
            return await _attach(bus, signals, signal, group.incident_id)
        # Racing openers of the group use the same idempotency key, so they get the same incident.
        incident = await _declare(bus, alerts, signal, rule, severity,
                                  f"alert-group\x1f{key}\x1f{group.incident_id if group else ''}")
        try:
            await signals.save_group(key, GroupOpen(incident.id, signal.received_at, signal.received_at), tag)
        except ConcurrencyConflict:
            continue  # the other opener recorded the group: attach to it on the next round
        await _remember(signals, signal, incident.id)
        telemetry().count(ALERT_INCIDENTS, {"source": signal.source})
        return f"declared {incident.id} (rule {rule.name})", incident.id
    raise ConcurrencyConflict("this alert's group kept changing; the sender's retry will place it")


async def _declare(bus: MessageBus, alerts: AlertPolicy, signal: Signal, rule: AlertRule, severity: str,
                   idempotency_key: str) -> Incident:
    policy = bus.dependencies.policy
    services = tuple(s for s in (signal.service,) if s and s in policy.services)
    lines = [signal.description, *signal.links] if signal.description else list(signal.links)
    command = commands.DeclareIncident(
        title=clip(f"[{signal.source}] {signal.summary}", MAX_TITLE), summary=clip("\n".join(lines), 2000),
        incident_type=rule.incident_type or alerts.default_type or policy.incident_types[0].key,
        severity=severity, actor=ALERTS_ACTOR, services=services, idempotency_key=idempotency_key)
    for attempt in range(20):
        try:
            incident: Incident = await bus.handle(command)
            return incident
        except DeclarationInProgress:
            await asyncio.sleep(0.05 * (attempt + 1))  # the other opener is storing it: take its incident
    raise ConcurrencyConflict("the incident for this alert is still being declared; the sender's retry will place it")


async def _resolved(bus: MessageBus, signals: SignalRepository, signal: Signal,
                    rule: AlertRule | None) -> tuple[str, str]:
    """A hint, never a verdict: the incident is not resolved; its criterion is ticked, its commander told."""
    found, _ = await signals.group(_fingerprint_key(signal))
    if found is None or not await _open(bus, found.incident_id):
        return "resolved; no open incident of this alert", ""
    criterion = rule.exit_criterion if rule is not None else ""
    await bus.handle(NoteSignalResolved(found.incident_id, signal.source, signal.summary, digest(signal.key),
                                        criterion))
    return f"resolved: hint sent to {found.incident_id}", found.incident_id
