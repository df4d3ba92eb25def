"""The organisation file's ``[alerts]`` section: its pydantic shape and its conversion to the domain's
AlertPolicy. Every severity, incident type, exit criterion and service a rule names must exist.

    [alerts]
    severity_map = { sev0 = "SEV1", sev1 = "SEV2", critical = "SEV1", warning = "SEV3" }
    service_labels = ["service", "app"]
    resource_services = { "rg-checkout" = "checkout" }

    [[alerts.rules]]
    name = "checkout-down"
    services = ["checkout"]
    severities = ["SEV1", "SEV2"]
    action = "declare"
    incident_type = "outage"
    group_by = ["service"]
    group_window_minutes = 60
    exit_criterion = "monitoring_green"

    [[alerts.rules]]
    name = "log-search"
    action = "triage"          # a card with Declare / Attach / Dismiss in the incidents channel
    triage_minutes = 30        # its deadline
    after_deadline = "dismiss" # or "declare"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from incident.signals import SOURCES, AlertPolicy, AlertRule, RuleAction

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
Value = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRuleModel(_Strict):
    name: Name
    action: Literal["declare", "attach", "ignore", "triage"]
    sources: list[Literal["azure-monitor", "alertmanager", "grafana", "generic"]] = Field(default_factory=list)
    services: list[Value] = Field(default_factory=list)
    severities: list[Value] = Field(default_factory=list)
    labels: dict[Value, Value] = Field(default_factory=dict)
    text: Annotated[str, StringConstraints(max_length=200)] = ""
    incident_type: str = ""
    group_by: list[Value] = Field(default_factory=lambda: ["service"], min_length=1, max_length=10)
    group_window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    exit_criterion: str = ""
    triage_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # ``triage``: the card's deadline
    after_deadline: Literal["declare", "dismiss"] = "dismiss"  # ``triage``: what the deadline does

    @model_validator(mode="after")
    def _triage_only(self) -> AlertRuleModel:
        if self.action != "triage" and {"triage_minutes", "after_deadline"} & self.model_fields_set:
            raise ValueError(f"alerts.rules '{self.name}': triage_minutes and after_deadline apply to "
                             "action = \"triage\" only")
        return self


class AlertsModel(_Strict):
    severity_map: dict[Value, Value] = Field(default_factory=dict)
    default_severity: str = ""
    service_labels: list[Value] = Field(default_factory=lambda: ["service"], min_length=1)
    resource_services: dict[Value, Value] = Field(default_factory=dict)
    default_type: str = ""
    rules: list[AlertRuleModel] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _unique_names(self) -> AlertsModel:
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("alerts.rules: rule names must be unique")
        return self


def check_alerts(model: AlertsModel, severities: Sequence[str], types: Mapping[str, Sequence[str]],
                 services: Sequence[str]) -> None:
    """Every name a rule uses exists; ValueError naming the field otherwise. ``types``: type → its criteria."""
    def must(name: str, known: Sequence[str], where: str, what: str) -> None:
        if name not in known:
            raise ValueError(f"{where}: unknown {what} '{name}' (defined: {', '.join(known)})")

    for source_severity, ours in model.severity_map.items():
        must(ours, severities, f"alerts.severity_map.{source_severity}", "severity")
    if model.default_severity:
        must(model.default_severity, severities, "alerts.default_severity", "severity")
    if model.default_type:
        must(model.default_type, list(types), "alerts.default_type", "incident type")
    for i, rule in enumerate(model.rules):
        where = f"alerts.rules[{i}]"
        for severity in rule.severities:
            must(severity, severities, f"{where}.severities", "severity")
        for service in rule.services if services else ():
            must(service, services, f"{where}.services", "service")
        kind = rule.incident_type or model.default_type or next(iter(types))
        if rule.incident_type:
            must(rule.incident_type, list(types), f"{where}.incident_type", "incident type")
        if rule.exit_criterion:
            must(rule.exit_criterion, types[kind], f"{where}.exit_criterion", f"exit criterion of {kind}")


def alert_policy(model: AlertsModel) -> AlertPolicy:
    return AlertPolicy(
        rules=tuple(AlertRule(
            name=r.name, action=RuleAction(r.action), sources=tuple(s for s in r.sources if s in SOURCES),
            services=tuple(r.services), severities=tuple(r.severities), labels=dict(r.labels), text=r.text,
            incident_type=r.incident_type, group_by=tuple(r.group_by),
            group_window=timedelta(minutes=r.group_window_minutes), exit_criterion=r.exit_criterion,
            triage_deadline=timedelta(minutes=r.triage_minutes), after_deadline=r.after_deadline)
            for r in model.rules),
        severity_map={k.lower(): v for k, v in model.severity_map.items()}, default_severity=model.default_severity,
        service_labels=tuple(model.service_labels), default_type=model.default_type,
        resource_services={k.lower(): v for k, v in model.resource_services.items()})
