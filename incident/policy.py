"""The organisation's incident policy as plain data: severities, roles, incident types, plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from incident.errors import UnknownChoice
from incident.people import Person
from incident.playbook import PlaybookPolicy
from incident.priority import PriorityModel, default_priority_model
from incident.public_face import StatusPagePolicy
from incident.risk import RiskMatrix, default_risk_matrix
from incident.signals import AlertPolicy


class CoverageKind(StrEnum):
    ALWAYS = "24x7"
    BUSINESS_HOURS = "business_hours"


@dataclass(frozen=True)
class Coverage:
    """When a severity is staffed: always, or business hours in an IANA time zone."""

    kind: CoverageKind = CoverageKind.ALWAYS
    timezone: str = "UTC"
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0, as datetime.weekday()
    start: time = time(9, 0)
    end: time = time(17, 0)

    def is_covered(self, at: datetime) -> bool:
        """Whether the aware instant ``at`` falls inside the coverage window."""
        if self.kind is CoverageKind.ALWAYS:
            return True
        local = at.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end

    def next_covered(self, at: datetime) -> datetime:
        """``at`` itself when covered, else the start of the next window (in the zone's own time, so a
        daylight-saving change moves the UTC instant, not the local opening hour)."""
        if self.is_covered(at) or not self.weekdays:
            return at
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            opening = datetime.combine(day, self.start, tzinfo=zone)
            if day.weekday() in self.weekdays and opening > at:
                return opening.astimezone(at.tzinfo)
        raise AssertionError("a week always has a covered day")


@dataclass(frozen=True)
class SeverityPolicy:
    """The effort agreed for one severity level."""

    name: str
    rank: int  # 1 is the most severe
    description: str
    ack_timeout: timedelta
    update_cadence: timedelta
    required_roles: tuple[str, ...]
    coverage: Coverage
    audiences: tuple[str, ...]
    postmortem_required: bool
    postmortem_due_days: int
    follow_up_due_days: int = 14  # the default due date of the postmortem's priority-1 follow-ups
    bridge: bool = False  # a Teams meeting is opened on declaration (incident/bridge.py)


@dataclass(frozen=True)
class PriorityEffort:
    """How a priority tightens the effort of whatever severity the incident has; it never loosens it."""

    update_cadence: timedelta | None = None  # None: the severity's
    ack_timeout: timedelta | None = None  # None: the severity's
    required_roles: tuple[str, ...] = ()  # added to the severity's
    audiences: tuple[str, ...] = ()  # added to the severity's
    postmortem_required: bool = False  # True requires one whatever the severity or type says


@dataclass(frozen=True)
class Effort:
    """The effort an incident's severity and priority demand together: the stricter of each."""

    severity: SeverityPolicy  # coverage and postmortem due dates are the severity's alone
    priority: str
    ack_timeout: timedelta
    update_cadence: timedelta
    required_roles: tuple[str, ...]
    audiences: tuple[str, ...]
    postmortem_required: bool  # the severity's or the priority's rule; the incident type may still decide
    tightened: tuple[str, ...] = ()  # what the priority made stricter, e.g. ("update_cadence", "audiences")


@dataclass(frozen=True)
class RoleDefinition:
    key: str
    name: str
    critical: bool = False


@dataclass(frozen=True)
class ExitCriterion:
    key: str
    text: str


@dataclass(frozen=True)
class PlanStep:
    title: str
    owner_role: str
    due_after: timedelta
    done_when: str = ""  # what devopsbot sees that does the step (incident/progress.py); "": ticked by hand


@dataclass(frozen=True)
class Communication:
    """Where an incident is talked about, and what to fall back on when that is down."""

    primary_channel: str
    backup_methods: tuple[str, ...]


@dataclass(frozen=True)
class ResponsePlan:
    steps: tuple[PlanStep, ...]
    communication: Communication


@dataclass(frozen=True)
class IncidentType:
    key: str
    name: str
    exit_criteria: tuple[ExitCriterion, ...]
    response_plan: ResponsePlan
    postmortem_required: bool | None = None  # None: the severity decides
    private: bool = False  # always a security incident: only its people see it, from any channel


@dataclass(frozen=True)
class EscalationPolicy:
    """Where escalation ends, and the clocks on roles and on incidents that never end."""

    contact: Person | None = None  # after the last delegate; None means the chain ends with the roster
    role_unfilled_after: timedelta = timedelta(minutes=15)
    stale_after: timedelta = timedelta(days=7)
    # An overdue follow-up is the owner's for this long; then leadership is told too.
    follow_up_grace: timedelta = timedelta(days=7)
    leadership_emails: tuple[str, ...] = ()  # who monitors follow-ups by email (the weekly digest too)


@dataclass(frozen=True)
class OrganisationPolicy:
    """Everything the domain needs to know about one organisation's process."""

    id_prefix: str
    severities: tuple[SeverityPolicy, ...]
    roles: tuple[RoleDefinition, ...]
    incident_types: tuple[IncidentType, ...]
    services: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()  # ids of incident admins, who may manage any incident
    escalation: EscalationPolicy = EscalationPolicy()
    audience_emails: dict[str, tuple[str, ...]] = field(default_factory=dict)  # audience → its addresses
    risk: RiskMatrix = field(default_factory=default_risk_matrix)  # likelihood x impact → level → severity
    priority: PriorityModel = field(default_factory=default_priority_model)  # criteria weights → P1-P4
    playbooks: PlaybookPolicy = field(default_factory=PlaybookPolicy)  # verification and approval rules
    assessment_deadline: timedelta = timedelta(minutes=30)  # assessors' answers are revealed by then at the latest
    priorities: dict[str, PriorityEffort] = field(default_factory=dict)  # priority → how it tightens the effort
    acknowledge_starts_investigation: bool = True  # acknowledging a declared incident moves it to investigating
    alerts: AlertPolicy = field(default_factory=AlertPolicy)  # [alerts]: severity mapping and rules
    status_page: StatusPagePolicy = field(default_factory=StatusPagePolicy)  # [status_page]: components, texts
    # Each person's language where the organisation file says it: lower-cased address or Teams id → "en"/"fr".
    languages: dict[str, str] = field(default_factory=dict)
    language: str = "en"  # [organisation] language: mail with no incident to follow, and whom nothing else names

    def stakeholders(self, severity: str, priority: str = "") -> tuple[str, ...]:
        """The addresses told of every incident of this severity (and priority), by email, always."""
        seen: dict[str, None] = {}
        for audience in self.effort(severity, priority).audiences:
            for address in self.audience_emails.get(audience, ()):
                seen.setdefault(address.lower())
        return tuple(seen)
    _by_severity: dict[str, SeverityPolicy] = field(init=False, repr=False, compare=False)
    _by_type: dict[str, IncidentType] = field(init=False, repr=False, compare=False)
    _by_role: dict[str, RoleDefinition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_severity", {s.name.upper(): s for s in self.severities})
        object.__setattr__(self, "_by_type", {t.key: t for t in self.incident_types})
        object.__setattr__(self, "_by_role", {r.key: r for r in self.roles})

    def severity(self, name: str) -> SeverityPolicy:
        try:
            return self._by_severity[name.strip().upper()]
        except KeyError:
            raise UnknownChoice("severity", name, [s.name for s in self.severities]) from None

    def incident_type(self, key: str) -> IncidentType:
        try:
            return self._by_type[key.strip()]
        except KeyError:
            raise UnknownChoice("type", key, list(self._by_type), "incident type") from None

    def is_private(self, incident_type: str, *, asked: bool) -> bool:
        """Whether a declaration makes a security incident: the declarer asked, or its type is one."""
        kind = self._by_type.get(incident_type.strip())
        return asked or (kind is not None and kind.private)

    def role(self, key: str) -> RoleDefinition:
        try:
            return self._by_role[key.strip()]
        except KeyError:
            raise UnknownChoice("role", key, list(self._by_role)) from None

    def role_named(self, word: str) -> RoleDefinition:
        """A role as people type it: its key, its name, or its key with dashes (``Communications-Lead``), in
        any case. The one reading of role words, for Teams, mail and the CLI alike."""
        wanted = word.strip().casefold()
        for role in self.roles:
            if wanted in (role.key.casefold(), role.name.casefold(), role.key.replace("_", "-").casefold()):
                return role
        return self.role(word)  # raises, naming the known roles

    def effort(self, severity: str, priority: str = "") -> Effort:
        """The severity's effort, tightened by the priority's where it is configured: the shorter cadence
        and acknowledgement timeout, the roles and audiences of both, a postmortem if either requires one."""
        level = self.severity(severity)
        extra = self.priorities.get(priority, PriorityEffort())
        cadence = min(level.update_cadence, extra.update_cadence or level.update_cadence)
        ack = min(level.ack_timeout, extra.ack_timeout or level.ack_timeout)
        roles = tuple(dict.fromkeys((*level.required_roles, *extra.required_roles)))
        audiences = tuple(dict.fromkeys((*level.audiences, *extra.audiences)))
        postmortem = level.postmortem_required or extra.postmortem_required
        tightened = tuple(name for name, stricter in (
            ("update_cadence", cadence < level.update_cadence), ("ack_timeout", ack < level.ack_timeout),
            ("required_roles", len(roles) > len(level.required_roles)),
            ("audiences", len(audiences) > len(level.audiences)),
            ("postmortem_required", postmortem and not level.postmortem_required)) if stricter)
        return Effort(level, priority, ack, cadence, roles, audiences, postmortem, tightened)

    def postmortem_required(self, severity: str, incident_type: str, priority: str = "") -> bool:
        """A priority that requires one requires one; otherwise the type's rule wins when it has one, then
        the severity's."""
        type_rule = self.incident_type(incident_type).postmortem_required
        if self.priorities.get(priority, PriorityEffort()).postmortem_required:
            return True
        if type_rule is not None:
            return type_rule
        return self.severity(severity).postmortem_required
