"""What an alert's rule does to incidents, shared by the rules that act at once (services.alert_intake) and
triage decisions (services.alert_triage): declare with the roster's roles, attach a timeline line, and
remember the alert's incident for its resolution."""

from __future__ import annotations

import asyncio

from incident import commands
from incident.errors import ConcurrencyConflict, DeclarationInProgress, NotFound
from incident.lifecycle import Status
from incident.model import Incident
from incident.signal_changes import AttachSignal
from incident.signals import ALERTS_ACTOR, AlertPolicy, AlertRule, GroupOpen, Signal, clip, digest
from incident.timeline import MAX_TITLE
from services.bus import MessageBus
from services.signal_ports import SignalRepository

GROUP_ATTEMPTS = 5


def fingerprint_key(signal: Signal) -> str:
    return f"fingerprint\x1f{signal.source}\x1f{signal.fingerprint}"


async def remember(signals: SignalRepository, signal: Signal, incident_id: str) -> None:
    """The alert's incident, for its resolution later (whatever the episode)."""
    now = signal.received_at
    for _ in range(GROUP_ATTEMPTS):
        found, tag = await signals.group(fingerprint_key(signal))
        try:
            await signals.save_group(fingerprint_key(signal), GroupOpen(incident_id, found.opened_at if found
                                                                         else now, now), tag)
            return
        except ConcurrencyConflict:
            continue


async def attach(bus: MessageBus, signals: SignalRepository, signal: Signal, incident_id: str) -> tuple[str, str]:
    await bus.handle(AttachSignal(incident_id, signal.source, signal.summary, digest(signal.key)))
    await remember(signals, signal, incident_id)
    return f"attached to {incident_id}", incident_id


async def is_open(bus: MessageBus, incident_id: str) -> bool:
    try:
        incident = await bus.dependencies.incidents.get(incident_id)
    except NotFound:
        return False
    return incident.status is not Status.CLOSED and incident.status.is_active


async def declare(bus: MessageBus, alerts: AlertPolicy, signal: Signal, rule: AlertRule, severity: str,
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
