"""Alerts as signals: what a monitoring tool said, and the organisation's rules for what becomes of it.

A signal is one alert in one state (firing or resolved) from one source, named by a stable
fingerprint. ``key`` tells one notification from another: the same notification delivered again (a
sender's retry) has the same key, and is counted, never acted on twice. Rules are data: the first rule
whose conditions all hold decides (declare, attach, ignore or triage); without any, nothing happens.
Matching is plain comparison and case-insensitive substring search: no pattern from the organisation
file ever runs on text an alert sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from incident.people import Person

SOURCES = ("azure-monitor", "alertmanager", "grafana", "generic")
ALERTS_ACTOR = Person(id="devopsbot-alerts", name="devopsbot (alerts)")
MAX_SUMMARY = 300
MAX_LABELS = 64


class SignalState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class RuleAction(StrEnum):
    DECLARE = "declare"
    ATTACH = "attach"
    IGNORE = "ignore"
    TRIAGE = "triage"  # a card in the incidents channel: people declare, attach or dismiss before a deadline


@dataclass(frozen=True)
class Signal:
    """One alert in one state, as devopsbot understands it whatever the source."""

    source: str
    fingerprint: str  # stable across the alert's notifications: alert id, fingerprint, rule + resource
    notification: str  # what tells this episode of the alert from the next (its start, its alert id)
    state: SignalState
    summary: str
    received_at: datetime
    source_severity: str = ""  # as the source says it (Sev0, critical, ...)
    service: str = ""
    links: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def key(self) -> str:
        """The same notification delivered again has the same key (see the module's docstring)."""
        return "\x1f".join((self.source, self.fingerprint, self.state.value, self.notification))

    @property
    def episode(self) -> str:
        """The firing and the resolution of one episode of one alert share it."""
        return "\x1f".join((self.source, self.fingerprint, self.notification))


def digest(text: str) -> str:
    """A short, storage-safe name for any key."""
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def clip(text: str, limit: int = MAX_SUMMARY) -> str:
    """One printable line, at most ``limit`` characters: alert text goes into titles, timelines and terminals
    (no control character, such as a terminal escape, survives)."""
    line = " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True)
class AlertRule:
    """Conditions (empty: any) and what to do; ``group_by`` names the labels (or ``service``, ``source``,
    ``fingerprint``) whose values make the group key."""

    name: str
    action: RuleAction
    sources: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()  # the organisation's severities, after mapping
    labels: Mapping[str, str] = field(default_factory=dict)  # label = value, values compared ignoring case
    text: str = ""  # a substring of the summary or description, ignoring case
    incident_type: str = ""
    group_by: tuple[str, ...] = ("service",)
    group_window: timedelta = timedelta(minutes=60)
    exit_criterion: str = ""  # ticked (as a hint) when the alert resolves
    triage_deadline: timedelta = timedelta(minutes=30)  # ``triage``: undecided until then, then ``after_deadline``
    after_deadline: str = "dismiss"  # "declare" or "dismiss" (a log search alert that never resolves closes)


@dataclass(frozen=True)
class AlertPolicy:
    """``[alerts]`` in the organisation file: the severity mapping, service label names and the rules."""

    rules: tuple[AlertRule, ...] = ()
    severity_map: Mapping[str, str] = field(default_factory=dict)  # source severity (lower case) → ours
    default_severity: str = ""  # when the map has no entry; empty: the organisation's least severe
    service_labels: tuple[str, ...] = ("service",)  # labels or tags naming the service, first found wins
    default_type: str = ""  # the incident type of declarations whose rule names none
    resource_services: Mapping[str, str] = field(default_factory=dict)  # Azure resource or group (lower) → service

    def severity_of(self, signal: Signal, least_severe: str) -> str:
        return self.severity_map.get(signal.source_severity.strip().lower(), self.default_severity or least_severe)

    def rule_for(self, signal: Signal, severity: str) -> AlertRule | None:
        return next((rule for rule in self.rules if matches(rule, signal, severity)), None)


def matches(rule: AlertRule, signal: Signal, severity: str) -> bool:
    """Every condition the rule sets holds for the signal (linear: comparisons and substring search)."""
    if rule.sources and signal.source not in rule.sources:
        return False
    if rule.services and signal.service.lower() not in {s.lower() for s in rule.services}:
        return False
    if rule.severities and severity.upper() not in {s.upper() for s in rule.severities}:
        return False
    lowered = {k.lower(): v.lower() for k, v in signal.labels.items()}
    if any(lowered.get(k.lower()) != v.lower() for k, v in rule.labels.items()):
        return False
    needle = rule.text.lower()
    return not needle or needle in signal.summary.lower() or needle in signal.description.lower()


def group_key(rule: AlertRule, signal: Signal) -> str:
    """Signals of one rule with equal values of its ``group_by`` belong to one incident within the window."""
    values = {"service": signal.service, "source": signal.source, "fingerprint": signal.fingerprint}
    lowered = {k.lower(): v for k, v in signal.labels.items()}
    parts = [f"{name}={values.get(name, lowered.get(name.lower(), ''))}" for name in rule.group_by]
    return "\x1f".join((rule.name, *parts))


def service_of(labels: Mapping[str, str], names: tuple[str, ...]) -> str:
    lowered = {k.lower(): v for k, v in labels.items()}
    return next((lowered[n.lower()].strip() for n in names if lowered.get(n.lower(), "").strip()), "")


@dataclass(frozen=True)
class GroupOpen:
    """An incident opened for a group: later signals of the group within the window attach to it."""

    incident_id: str
    opened_at: datetime
    last_at: datetime

    def takes(self, at: datetime, window: timedelta) -> bool:
        return at - self.last_at < window


@dataclass(frozen=True)
class StoredSignal:
    """A signal as stored: how often it was delivered, and what became of it."""

    signal: Signal
    severity: str
    deliveries: int = 1
    outcome: str = ""  # e.g. "declared INC-2026-0001", "attached INC-…", "ignored (rule noise)"
    incident_id: str = ""
