"""The organisation file (TOML): validated with pydantic, then turned into the domain's policy."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from devopsbot.alerts_config import AlertsModel, alert_policy, check_alerts
from devopsbot.assessment_config import PriorityConfigModel, RiskModel, priority_model, risk_matrix
from devopsbot.language_config import Language, configured_languages
from devopsbot.status_page_config import StatusPageModel, check_status_page, status_page_policy
from incident.errors import ConfigurationError
from incident.people import Person
from incident.playbook import PlaybookPolicy
from incident.policy import (
    Communication,
    Coverage,
    CoverageKind,
    EscalationPolicy,
    ExitCriterion,
    IncidentType,
    OrganisationPolicy,
    PlanStep,
    PriorityEffort,
    ResponsePlan,
    RoleDefinition,
    SeverityPolicy,
)

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKING_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleModel(_Strict):
    name: Text
    critical: bool = False


class CoverageModel(_Strict):
    kind: Literal["24x7", "business_hours"] = "24x7"
    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: list(WORKING_DAYS), min_length=1)
    start: time = time(9, 0)
    end: time = time(17, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone such as Europe/Paris") from None
        return value

    @model_validator(mode="after")
    def _window(self) -> CoverageModel:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class SeverityModel(_Strict):
    description: Text
    ack_timeout_minutes: int = Field(gt=0, le=24 * 60)
    update_cadence_minutes: int = Field(default=30, gt=0, le=7 * 24 * 60)
    required_roles: list[Key] = Field(default_factory=list)
    coverage: CoverageModel = Field(default_factory=CoverageModel)
    audiences: list[Key] = Field(default_factory=list)
    postmortem_required: bool = False
    postmortem_due_days: int = Field(default=5, ge=1, le=90)
    follow_up_due_days: int = Field(default=14, ge=1, le=365)  # default due date of postmortem follow-ups
    bridge: StrictBool | None = None  # a Teams meeting on declaration; absent: true for the two most severe


class PriorityEffortModel(_Strict):
    """Optional ``[priorities.P1]``: how a priority tightens the effort of any severity; it never loosens it."""

    update_cadence_minutes: int | None = Field(default=None, gt=0, le=7 * 24 * 60)
    ack_timeout_minutes: int | None = Field(default=None, gt=0, le=24 * 60)
    required_roles: list[Key] = Field(default_factory=list)  # added to the severity's
    audiences: list[Key] = Field(default_factory=list)  # added to the severity's
    postmortem_required: bool = False  # true requires one; false leaves it to the severity and the type


class AudienceModel(_Strict):
    description: Text
    emails: list[Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list)
    language: Language = ""  # the language its addresses are mailed in; empty: the incident's


class StepModel(_Strict):
    title: Text
    owner_role: Key
    due_minutes: int = Field(ge=0, le=7 * 24 * 60)
    done_when: Literal["", "acknowledged", "first_update", "public_update"] = ""  # what devopsbot sees that ticks it


class CommunicationModel(_Strict):
    primary_channel: Text
    backup_methods: list[Text] = Field(min_length=1)


class ResponsePlanModel(_Strict):
    steps: list[StepModel] = Field(min_length=1)
    communication: CommunicationModel


class ExitCriterionModel(_Strict):
    key: Key
    text: Text


class IncidentTypeModel(_Strict):
    name: Text
    exit_criteria: list[ExitCriterionModel] = Field(min_length=1)
    response_plan: ResponsePlanModel
    postmortem_required: bool | None = None
    private: bool = False  # a security incident: declared private whatever the declarer chose


class OrganisationModel(_Strict):
    name: Text
    id_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")] = "INC"
    services: list[Key] = Field(default_factory=list)
    environments: list[Key] = Field(default_factory=list)
    regions: list[Key] = Field(default_factory=list)
    language: Language = "en"  # for whom nothing else says a language (no incident, no Teams, no audience):
    # mail that follows no incident (digest, reports, reviews), and people whose language is not known


class PersonModel(_Strict):
    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    name: Text
    email: str = ""
    language: Language = ""  # their mail's language when Teams has not told devopsbot theirs


class TeamsModel(_Strict):
    space_mode: Literal["thread", "channel", "chat"] = "thread"
    incidents_channel: Text = "General"
    broadcast_channels: list[Text] = Field(default_factory=lambda: ["General"], min_length=1)
    admins: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = Field(
        default_factory=list)
    admin_team: list[PersonModel] = Field(default_factory=list)
    leadership_channel: str = ""  # the weekly digest and overdue follow-ups; empty: the first broadcast channel


class EscalationModel(_Strict):
    contact: PersonModel | None = None
    role_unfilled_minutes: int = Field(default=15, ge=1, le=24 * 60)
    stale_after_days: int = Field(default=7, ge=1, le=365)
    follow_up_grace_days: int = Field(default=7, ge=0, le=90)  # overdue this long: leadership is told
    leadership_audience: str = ""  # the audience (above) leadership mail goes to; empty: nobody by email


class PlaybooksModel(_Strict):
    """Optional ``[playbooks]``: how playbooks are verified and approved, and who approves per service."""

    approvals_required: int = Field(default=1, ge=1, le=10)
    approval_valid_days: int = Field(default=180, ge=1, le=3650)
    last_tested_max_days: int = Field(default=90, ge=1, le=3650)
    max_kb: int = Field(default=60, ge=1, le=500)
    approvers: dict[Key, list[PersonModel]] = Field(default_factory=dict)


class AssessmentModel(_Strict):
    """Optional ``[assessment]``: how long assessors have to answer before what is in is revealed."""

    deadline_minutes: int = Field(default=30, ge=1, le=24 * 60)


class LifecycleModel(_Strict):
    """Optional ``[lifecycle]``: what an acknowledgement does to the status."""

    acknowledge_starts_investigation: bool = True


class OrganisationFile(_Strict):
    organisation: OrganisationModel
    roles: dict[Key, RoleModel] = Field(min_length=1)
    audiences: dict[Key, AudienceModel] = Field(default_factory=dict)
    severities: dict[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")], SeverityModel] = Field(
        min_length=1, max_length=10)
    incident_types: dict[Key, IncidentTypeModel] = Field(min_length=1)
    teams: TeamsModel = Field(default_factory=TeamsModel)
    escalation: EscalationModel = Field(default_factory=EscalationModel)
    risk: RiskModel | None = None  # absent: the 5x5 default, its levels mapped onto the severities by rank
    priority: PriorityConfigModel | None = None  # absent: the default criteria and judgments
    playbooks: PlaybooksModel = Field(default_factory=PlaybooksModel)
    assessment: AssessmentModel = Field(default_factory=AssessmentModel)
    lifecycle: LifecycleModel = Field(default_factory=LifecycleModel)
    priorities: dict[str, PriorityEffortModel] = Field(default_factory=dict)  # absent: the severity alone decides
    alerts: AlertsModel = Field(default_factory=AlertsModel)  # absent: alerts are stored, no rule acts on them
    status_page: StatusPageModel = Field(default_factory=StatusPageModel)  # absent: every service by its key

    @model_validator(mode="after")
    def _references(self) -> OrganisationFile:
        """Every role and audience named anywhere must be defined; the error names where."""
        for name, severity in self.severities.items():
            for role in severity.required_roles:
                _must_exist(role, self.roles, f"severities.{name}.required_roles", "role")
            for audience in severity.audiences:
                _must_exist(audience, self.audiences, f"severities.{name}.audiences", "audience")
        for name, extra in self.priorities.items():
            for role in extra.required_roles:
                _must_exist(role, self.roles, f"priorities.{name}.required_roles", "role")
            for audience in extra.audiences:
                _must_exist(audience, self.audiences, f"priorities.{name}.audiences", "audience")
        for key, kind in self.incident_types.items():
            for i, step in enumerate(kind.response_plan.steps):
                _must_exist(step.owner_role, self.roles,
                            f"incident_types.{key}.response_plan.steps[{i}].owner_role", "role")
            keys = [c.key for c in kind.exit_criteria]
            if len(set(keys)) != len(keys):
                raise ValueError(f"incident_types.{key}.exit_criteria: keys must be unique")
        if self.escalation.leadership_audience:
            _must_exist(self.escalation.leadership_audience, self.audiences, "escalation.leadership_audience",
                        "audience")
        check_alerts(self.alerts, list(self.severities),
                     {k: [c.key for c in t.exit_criteria] for k, t in self.incident_types.items()},
                     self.organisation.services)
        if self.organisation.services:
            for service in self.playbooks.approvers:
                _must_exist(service, dict.fromkeys(self.organisation.services), "playbooks.approvers", "service")
        check_status_page(self.status_page, self.organisation.services)
        return self

    @model_validator(mode="after")
    def _assessment(self) -> OrganisationFile:
        """The risk matrix covers every cell and proposes known severities; leadership's judgments are
        consistent (CR ≤ 0.10). Either failing stops start-up, naming the field and the reason."""
        risk_matrix(self.risk, list(self.severities))
        bands = {band.priority: None for band in priority_model(self.priority).bands}
        for name in self.priorities:
            _must_exist(name, bands, "priorities", "priority")  # only priorities the [priority] bands can give
        return self


def _must_exist(name: str, defined: Mapping[str, object], where: str, what: str) -> None:
    if name not in defined:
        raise ValueError(f"{where}: unknown {what} '{name}' (defined: {', '.join(defined)})")


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def load_organisation(path: Path) -> OrganisationPolicy:
    """The file's policy; any problem raises ConfigurationError(file, field path, reason)."""
    return to_policy(load_organisation_file(path))


def load_organisation_file(path: Path) -> OrganisationFile:
    """Read and validate the whole file; any problem raises ConfigurationError(file, field path, reason)."""
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(source, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(source, "", f"cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(source, "", f"not valid TOML: {error}") from None
    try:
        model = OrganisationFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = _field_path(tuple(p for p in first["loc"] if p != "__root__"))
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        raise ConfigurationError(source, field, message + more) from None
    return model


def to_policy(model: OrganisationFile) -> OrganisationPolicy:
    severities = tuple(
        SeverityPolicy(
            name=name, rank=rank, description=s.description,
            ack_timeout=timedelta(minutes=s.ack_timeout_minutes),
            update_cadence=timedelta(minutes=s.update_cadence_minutes),
            required_roles=tuple(s.required_roles),
            coverage=Coverage(kind=CoverageKind(s.coverage.kind), timezone=s.coverage.timezone,
                              weekdays=frozenset(WEEKDAYS.index(d) for d in s.coverage.days),
                              start=s.coverage.start, end=s.coverage.end),
            audiences=tuple(s.audiences), postmortem_required=s.postmortem_required,
            postmortem_due_days=s.postmortem_due_days, follow_up_due_days=s.follow_up_due_days,
            bridge=s.bridge if s.bridge is not None else rank <= 2,
        )
        for rank, (name, s) in enumerate(model.severities.items(), start=1)
    )
    types = tuple(
        IncidentType(
            key=key, name=t.name,
            exit_criteria=tuple(ExitCriterion(c.key, c.text) for c in t.exit_criteria),
            response_plan=ResponsePlan(
                steps=tuple(PlanStep(s.title, s.owner_role, timedelta(minutes=s.due_minutes), s.done_when)
                            for s in t.response_plan.steps),
                communication=Communication(t.response_plan.communication.primary_channel,
                                            tuple(t.response_plan.communication.backup_methods)),
            ),
            postmortem_required=t.postmortem_required, private=t.private,
        )
        for key, t in model.incident_types.items()
    )
    org = model.organisation
    people = [*model.teams.admin_team, *([model.escalation.contact] if model.escalation.contact else []),
              *(p for approvers in model.playbooks.approvers.values() for p in approvers)]
    return OrganisationPolicy(
        id_prefix=org.id_prefix, severities=severities,
        roles=tuple(RoleDefinition(k, r.name, r.critical) for k, r in model.roles.items()),
        incident_types=types, services=tuple(org.services), environments=tuple(org.environments),
        regions=tuple(org.regions), admins=tuple(model.teams.admins),
        audience_emails={name: tuple(a.emails) for name, a in model.audiences.items()},
        escalation=EscalationPolicy(
            contact=Person(e.contact.id, e.contact.name, e.contact.email) if (e := model.escalation).contact else None,
            role_unfilled_after=timedelta(minutes=e.role_unfilled_minutes),
            stale_after=timedelta(days=e.stale_after_days),
            follow_up_grace=timedelta(days=e.follow_up_grace_days),
            leadership_emails=tuple(a.emails) if (a := model.audiences.get(e.leadership_audience)) else ()),
        risk=risk_matrix(model.risk, [s.name for s in severities]),
        priority=priority_model(model.priority),
        assessment_deadline=timedelta(minutes=model.assessment.deadline_minutes),
        acknowledge_starts_investigation=model.lifecycle.acknowledge_starts_investigation,
        alerts=alert_policy(model.alerts),
        status_page=status_page_policy(model.status_page),
        languages=configured_languages(model.audiences, people), language=org.language or "en",
        priorities={name: PriorityEffort(
            update_cadence=timedelta(minutes=x.update_cadence_minutes) if x.update_cadence_minutes else None,
            ack_timeout=timedelta(minutes=x.ack_timeout_minutes) if x.ack_timeout_minutes else None,
            required_roles=tuple(x.required_roles), audiences=tuple(x.audiences),
            postmortem_required=x.postmortem_required) for name, x in model.priorities.items()},
        playbooks=PlaybookPolicy(
            approvals_required=(p := model.playbooks).approvals_required, approval_valid_days=p.approval_valid_days,
            last_tested_max_days=p.last_tested_max_days, max_bytes=p.max_kb * 1000,
            approvers={service: tuple(Person(a.id, a.name, a.email) for a in people)
                       for service, people in p.approvers.items()}),
    )
