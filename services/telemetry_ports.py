"""The metrics port: counters and histograms for every promise devopsbot makes, named here once.

Metrics are process-wide by nature (one scrape reads what the whole process did), so the recorder is too:
the composition root installs one (``adapters.process_metrics.InProcessMetrics``) and the services record
through ``telemetry()``; until one is installed nothing is recorded. Labels take only values from a small
closed set (kinds, outcomes, sources): never an incident id, a title or a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

Labels = Mapping[str, str]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "counter", "histogram" or "gauge"
    help: str
    buckets: tuple[float, ...] = ()  # a histogram's upper bounds, in seconds (+Inf is implied)


# Due work is checked every minute: an item done within one tick lands at or below 60 s.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)

INCIDENT_EVENTS = Metric("devopsbot_incident_events_total", "counter",
                         "Changes stored on incidents, by kind (declared, update_posted, escalated, ...).")
NOTIFICATIONS = Metric("devopsbot_notifications_total", "counter",
                       "Notifications to people, by kind (declared, reminder, escalated, ...) and the channel "
                       "that carried them (teams, email, none).")
TEAMS_FAILURES = Metric("devopsbot_teams_failures_total", "counter",
                        "Teams sends that failed, or were not tried because Teams is marked down.")
EMAIL_FALLBACKS = Metric("devopsbot_email_fallbacks_total", "counter",
                         "Emails sent in place of a Teams message, by template.")
DUE_WORK = Metric("devopsbot_due_work_total", "counter",
                  "Due work items by kind and outcome (done, retried, given_up, taken_elsewhere).")
DUE_WORK_LAG = Metric("devopsbot_due_work_lag_seconds", "histogram",
                      "From an item's due time to the moment it was done.", LAG_BUCKETS)
REACTIONS_RETRIED = Metric("devopsbot_reactions_retried_total", "counter",
                           "Reactions to a change that failed and became due work to retry.")
STORAGE_CONFLICTS = Metric("devopsbot_storage_conflicts_total", "counter",
                           "Guarded writes that lost to another writer (each is read and decided again).")
STORAGE_CONFLICTS_EXHAUSTED = Metric("devopsbot_storage_conflicts_exhausted_total", "counter",
                                     "Changes that lost every round of retry on conflict.")
DUPLICATES_ABSORBED = Metric("devopsbot_duplicates_absorbed_total", "counter",
                             "Repeated deliveries recognised and not acted on again, by scope.")
ALERT_SIGNALS = Metric("devopsbot_alert_signals_total", "counter",
                       "Alert signals received, by source and outcome (new, repeat).")
ALERT_INCIDENTS = Metric("devopsbot_alert_incidents_total", "counter",
                         "Incidents declared from alert signals, by source.")
ALERTS_REFUSED = Metric("devopsbot_alerts_refused_total", "counter",
                        "Alert notifications refused for a missing or wrong credential, by source.")
MAIL_IN = Metric("devopsbot_mail_in_total", "counter",
                 "Inbound email by outcome (declared, updated, answered, unanswered, ignored).")
HEARTBEATS = Metric("devopsbot_heartbeats_total", "counter", "Due-work timer ticks completed.")
LAST_TICK = Metric("devopsbot_last_tick_timestamp_seconds", "gauge",
                   "When the last due-work tick completed (Unix time).")

METRICS: tuple[Metric, ...] = (
    INCIDENT_EVENTS, NOTIFICATIONS, TEAMS_FAILURES, EMAIL_FALLBACKS, DUE_WORK, DUE_WORK_LAG, REACTIONS_RETRIED,
    STORAGE_CONFLICTS, STORAGE_CONFLICTS_EXHAUSTED, DUPLICATES_ABSORBED, ALERT_SIGNALS, ALERT_INCIDENTS,
    ALERTS_REFUSED, MAIL_IN, HEARTBEATS, LAST_TICK)

# Idempotency-key prefixes named as the scope of an absorbed duplicate; any other key counts as "other".
DUPLICATE_SCOPES = frozenset({"declare", "activity", "mail", "mail-declare", "mail-reply", "fallback", "batch",
                              "action-link", "playbook-review", "tracker", "roster-report", "service-health"})


class Telemetry(Protocol):
    """Records metrics; safe to call from any thread or task, and never raises."""

    def count(self, metric: Metric, labels: Labels | None = None, amount: float = 1.0) -> None: ...

    def observe(self, metric: Metric, value: float, labels: Labels | None = None) -> None: ...

    def set(self, metric: Metric, value: float, labels: Labels | None = None) -> None: ...


class NullTelemetry:
    """Records nothing: the recorder until the composition root installs one."""

    def count(self, metric: Metric, labels: Labels | None = None, amount: float = 1.0) -> None:
        return None

    def observe(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        return None

    def set(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        return None


_installed: list[Telemetry] = [NullTelemetry()]


def telemetry() -> Telemetry:
    """The process's recorder."""
    return _installed[0]


def install(recorder: Telemetry) -> Telemetry:
    """Make ``recorder`` the process's recorder; returns the one it replaces (tests put it back)."""
    previous, _installed[0] = _installed[0], recorder
    return previous


def duplicate_scope(key: str) -> str:
    """The label of an idempotency key: its prefix when it is one of DUPLICATE_SCOPES, else "other"."""
    prefix = key.partition(":")[0]
    return prefix if prefix in DUPLICATE_SCOPES else "other"
