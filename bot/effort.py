"""The effort the organisation agreed for an incident's current severity and priority, as card facts.

The same Effort (OrganisationPolicy.effort) drives the process: its acknowledgement timeout escalation, its
cadence the status reminders, its required roles the unfilled-role check, the severity's coverage the
business-hours waits, its audiences the stakeholder mail, its postmortem rule the lifecycle. The card only
shows it, and says when the priority made it stricter than the severity alone.
"""

from __future__ import annotations

from bot.locale import Translator
from incident.model import Incident
from incident.policy import CoverageKind, OrganisationPolicy


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def effort_facts(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, str]]:
    """Priority (once set) and the combined effort; the card template escapes the values."""
    effort = policy.effort(incident.severity, incident.priority)
    severity = effort.severity
    roles = ", ".join(policy.role(r).name for r in effort.required_roles) or t("effort.nobody")
    coverage = (t("effort.always") if severity.coverage.kind is CoverageKind.ALWAYS
                else t("effort.business", start=f"{severity.coverage.start:%H:%M}",
                       end=f"{severity.coverage.end:%H:%M}", zone=severity.coverage.timezone))
    required = policy.postmortem_required(incident.severity, incident.type, incident.priority)
    postmortem = t("effort.postmortem", days=severity.postmortem_due_days) if required else t("effort.no_postmortem")
    value = t("effort.value", roles=roles, coverage=coverage, ack=_minutes(effort.ack_timeout.total_seconds()),
              cadence=_minutes(effort.update_cadence.total_seconds()),
              audiences=", ".join(effort.audiences) or t("effort.nobody"), postmortem=postmortem)
    title = (t("effort.title_tightened", severity=severity.name, priority=incident.priority) if effort.tightened
             else t("effort.title", severity=severity.name))
    facts = [{"title": title, "value": value}]
    if incident.priority:
        facts.insert(0, {"title": t("incident.priority"), "value": incident.priority})
    return facts
