"""Alert payloads → signals: Azure Monitor's common alert schema, Alertmanager's webhook (version 4),
Grafana's unified alerting webhook, and devopsbot's own generic JSON.

Each body is validated whole before anything is made of it, so a malformed payload yields nothing: a
MalformedAlert names the first problem (the HTTP edge answers 400 with it). Unknown fields are ignored,
since senders add fields over time; the fields used are checked for their type.

The generic JSON (all but ``id`` and ``summary`` optional)::

    {"id": "disk-full-db1", "status": "firing", "summary": "Disk 95% full on db1",
     "severity": "critical", "service": "checkout", "started_at": "2026-11-27T10:00:00Z",
     "description": "…", "links": ["https://…"], "labels": {"team": "storage"}}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incident.errors import DomainError
from incident.signals import MAX_LABELS, AlertPolicy, Signal, SignalState, clip, service_of

MAX_BODY = 512 * 1024  # an Alertmanager group of hundreds of alerts stays far below; refused before parsing
MAX_ALERTS = 500  # per notification; Alertmanager's max_alerts and Grafana's groups stay far below


class MalformedAlert(DomainError):
    """The body is not a payload of the source: nothing was stored."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# -- Azure Monitor: the common alert schema ----------------------------------------------------------------

class AzureEssentials(_Lenient):
    alertId: str = Field(min_length=1)
    alertRule: str = ""
    severity: str = ""
    signalType: str = ""
    monitorCondition: Literal["Fired", "Resolved"]
    monitoringService: str = ""
    alertTargetIDs: list[str] = Field(default_factory=list)
    configurationItems: list[str] = Field(default_factory=list)
    description: str | None = ""
    investigationLink: str = ""


class AzureData(_Lenient):
    essentials: AzureEssentials
    alertContext: dict[str, Any] | None = None
    customProperties: dict[str, str | None] | None = None


class AzurePayload(_Lenient):
    schemaId: Literal["azureMonitorCommonAlertSchema"]
    data: AzureData


def _resource_group(target: str) -> str:
    parts = target.lower().split("/")
    return parts[parts.index("resourcegroups") + 1] if "resourcegroups" in parts[:-1] else ""


def _azure(body: dict[str, Any], at: datetime, policy: AlertPolicy) -> list[Signal]:
    data = AzurePayload.model_validate(body).data
    e = data.essentials
    context = data.alertContext or {}
    found = context.get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    target = e.alertTargetIDs[0] if e.alertTargetIDs else ""
    resource = e.configurationItems[0] if e.configurationItems else target.rsplit("/", 1)[-1]
    labels = {"alertRule": e.alertRule, "signalType": e.signalType, "monitoringService": e.monitoringService,
              "resourceGroup": _resource_group(target), "resource": resource,
              **{k: v for k, v in (data.customProperties or {}).items() if v is not None}}
    state = SignalState.RESOLVED if e.monitorCondition == "Resolved" else SignalState.FIRING
    fingerprint, notification = f"{e.alertRule}|{target.lower()}", e.alertId
    summary = f"{e.alertRule} on {resource}" if resource else e.alertRule
    links = [e.investigationLink] if e.investigationLink.startswith("https://") else []
    if e.monitoringService == "ServiceHealth":
        # One Service Health event is one tracking id, from its first communication to its resolution.
        tracking = str(properties.get("trackingId") or e.alertId)
        fingerprint = notification = f"servicehealth|{tracking}"
        summary = str(properties.get("title") or summary)
        if str(properties.get("stage", "")).lower() == "resolved" or str(context.get("status")) == "Resolved":
            state = SignalState.RESOLVED
        labels |= {"azureService": str(properties.get("service", "")), "region": str(properties.get("region", ""))}
    elif e.monitoringService == "Resource Health":
        current = str(properties.get("currentHealthStatus", ""))
        summary = f"{resource}: {current or properties.get('title', 'health changed')}"
        state = SignalState.RESOLVED if current == "Available" else SignalState.FIRING
        labels |= {"healthStatus": current}
    elif isinstance(context.get("condition"), dict):  # metric and log search alerts: a link to the results
        conditions = context["condition"].get("allOf") or []
        first = conditions[0] if isinstance(conditions, list) and conditions and isinstance(conditions[0], dict) else {}
        link = first.get("linkToFilteredSearchResultsUI") or first.get("linkToSearchResultsUI") or ""
        if isinstance(link, str) and link.startswith("https://"):
            links.append(link)
    service = service_of(labels, policy.service_labels) or policy.resource_services.get(resource.lower(), "") or (
        policy.resource_services.get(labels["resourceGroup"], ""))
    return [Signal(source="azure-monitor", fingerprint=fingerprint, notification=notification, state=state,
                   summary=clip(summary), received_at=at, source_severity=e.severity, service=service,
                   links=tuple(links), labels=_labels(labels), description=clip(e.description or "", 2000))]


# -- Alertmanager (webhook version 4) and Grafana (its unified alerting webhook has the same core) ----------

class PromAlert(_Lenient):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = ""
    dashboardURL: str = ""  # Grafana
    panelURL: str = ""  # Grafana


class AlertmanagerPayload(_Lenient):
    version: Literal["4"]
    status: Literal["firing", "resolved"]
    alerts: list[PromAlert] = Field(min_length=1, max_length=MAX_ALERTS)
    externalURL: str = ""
    groupKey: str = ""


class GrafanaPayload(_Lenient):
    status: Literal["firing", "resolved"]
    orgId: int
    alerts: list[PromAlert] = Field(min_length=1, max_length=MAX_ALERTS)
    externalURL: str = ""


def _prometheus_style(source: str, alerts: list[PromAlert], at: datetime, policy: AlertPolicy) -> list[Signal]:
    signals = []
    for alert in alerts:
        fingerprint = alert.fingerprint or hashlib.sha256(
            json.dumps(sorted(alert.labels.items())).encode()).hexdigest()[:16]
        summary = alert.annotations.get("summary") or alert.labels.get("alertname") or "alert"
        links = tuple(u for u in (alert.generatorURL, alert.dashboardURL, alert.panelURL)
                      if u.startswith(("https://", "http://")))
        signals.append(Signal(
            source=source, fingerprint=fingerprint, notification=alert.startsAt, state=SignalState(alert.status),
            summary=clip(summary), received_at=at, source_severity=alert.labels.get("severity", ""),
            service=service_of(alert.labels, policy.service_labels), links=links, labels=_labels(alert.labels),
            description=clip(alert.annotations.get("description", ""), 2000)))
    return signals


def _alertmanager(body: dict[str, Any], at: datetime, policy: AlertPolicy) -> list[Signal]:
    return _prometheus_style("alertmanager", AlertmanagerPayload.model_validate(body).alerts, at, policy)


def _grafana(body: dict[str, Any], at: datetime, policy: AlertPolicy) -> list[Signal]:
    return _prometheus_style("grafana", GrafanaPayload.model_validate(body).alerts, at, policy)


# -- devopsbot's generic JSON -------------------------------------------------------------------------------

class GenericPayload(_Lenient):
    model_config = ConfigDict(extra="forbid", frozen=True)  # our own format: a typo is an error

    id: str = Field(min_length=1, max_length=200)
    status: Literal["firing", "resolved"] = "firing"
    summary: str = Field(min_length=1, max_length=1000)
    severity: str = Field(default="", max_length=40)
    service: str = Field(default="", max_length=100)
    started_at: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=10_000)
    links: list[str] = Field(default_factory=list, max_length=10)
    labels: dict[str, str] = Field(default_factory=dict, max_length=MAX_LABELS)


def _generic(body: dict[str, Any], at: datetime, policy: AlertPolicy) -> list[Signal]:
    g = GenericPayload.model_validate(body)
    labels = dict(g.labels) | ({"service": g.service} if g.service else {})
    return [Signal(source="generic", fingerprint=g.id, notification=g.started_at, state=SignalState(g.status),
                   summary=clip(g.summary), received_at=at, source_severity=g.severity,
                   service=service_of(labels, ("service", *policy.service_labels)),
                   links=tuple(u for u in g.links if u.startswith(("https://", "http://"))),
                   labels=_labels(labels), description=clip(g.description, 2000))]


def _labels(labels: Mapping[str, str]) -> dict[str, str]:
    """At most MAX_LABELS labels, names and values clipped: they are stored with the signal."""
    return {clip(k, 100): clip(v, 300) for k, v in list(labels.items())[:MAX_LABELS] if k}


PARSERS: dict[str, Callable[[dict[str, Any], datetime, AlertPolicy], list[Signal]]] = {
    "azure-monitor": _azure, "alertmanager": _alertmanager, "grafana": _grafana, "generic": _generic}


def parse(source: str, body: bytes, at: datetime, policy: AlertPolicy) -> list[Signal]:
    """The signals of one notification; MalformedAlert (naming the problem) when the body is not one."""
    if len(body) > MAX_BODY:
        raise MalformedAlert(f"the body is larger than {MAX_BODY} bytes")
    if source not in PARSERS:
        raise MalformedAlert(f"unknown alert source '{source}' (known: {', '.join(PARSERS)})")
    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedAlert("the body is not valid UTF-8") from None
    except (ValueError, RecursionError) as error:
        raise MalformedAlert(f"the body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedAlert("the body must be a JSON object")
    try:
        return PARSERS[source](document, at, policy)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the body"
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        raise MalformedAlert(f"not a {source} alert payload: {where}: {first['msg']}{more}") from None
