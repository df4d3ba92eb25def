"""The declaration form: the card, and the validation of what comes back from it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from adapters.templates import render_card
from bot.actions import choice_input, error_text, execute, text_input, toggle_input
from bot.locale import Translator
from bot.setup import TeamsSetup
from bot.views import Member
from incident.policy import OrganisationPolicy

MAX_FORM_ID = 64
MAX_ECHOED = 500  # characters of a re-rendered field; the inputs themselves take at most 200
ECHOED_LENGTH = {"title": 200, "summary": 4000}


def _split(value: Any) -> Any:
    """Multi-select choice sets send "a,b,c"; a forged form may send a list."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


Words = Annotated[list[Annotated[str, Field(max_length=200)]], BeforeValidator(_split), Field(max_length=50)]
Short = Annotated[str, Field(max_length=200)]


class DeclarationForm(BaseModel):
    """What the declaration card submits. Unknown keys (Teams adds some) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    form_id: Annotated[str, Field(min_length=8, max_length=MAX_FORM_ID, pattern=r"^[A-Za-z0-9-]+$")]
    title: Annotated[str, Field(max_length=200)] = ""
    summary: Annotated[str, Field(max_length=4000)] = ""
    type: Short = ""
    affects_customers: bool = False
    unplanned: bool = False
    long_running: bool = False
    services: Words = []
    environments: Words = []
    regions: Words = []
    severity: Short = ""
    commander: Short = ""
    responder: Short = ""
    invitees: Words = []
    private: bool = False
    broadcast: Short = ""
    confirm_not_incident: bool = False

    def idempotency_key(self, declarer_id: str) -> str:
        """One incident per person, form and content: a double click or a retry repeats all three;
        someone else's click, or the same form filled in anew, does not."""
        content = "\x1f".join([self.title, self.type, self.severity, self.summary])
        return f"declare:{self.form_id}:{declarer_id}:{hashlib.sha256(content.encode()).hexdigest()[:16]}"

    @property
    def is_incident(self) -> bool:
        """The process's definition: hurts customers, unplanned, and not fixable within an hour."""
        return self.affects_customers and self.unplanned and self.long_running


def parse_declaration(data: dict[str, Any]) -> tuple[DeclarationForm | None, dict[str, str]]:
    """The form, or the errors by field name (a forged form without a form id has nothing to re-render)."""
    try:
        return DeclarationForm.model_validate(data), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(field, problem["msg"])
        return None, errors


MAX_LISTED_PEOPLE = 25


def people_input(picker: dict[str, Any], search: bool) -> dict[str, Any]:
    """With ``search``, the picker also searches the organisation's people (Teams' people picker)."""
    if not search:
        return picker
    return {**picker, "style": "filtered", "isMultiSelect": picker["isMultiSelect"],
            "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}}


def new_form_id() -> str:
    return uuid.uuid4().hex


def declaration_card(policy: OrganisationPolicy, setup: TeamsSetup, t: Translator, members: list[Member], *,
                     form_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                     notice: str = "", confirm: bool = False) -> dict[str, Any]:
    """The form; re-rendered with what was typed and each error beside its field."""
    values, errors = values or {}, errors or {}

    def value(name: str, default: str = "") -> str:
        given = values.get(name, default)
        text = ",".join(map(str, given)) if isinstance(given, list) else str(given)
        # What was typed comes back, but no more than the field takes: a forged 200 KB title echoed in full
        # would make a card Teams refuses to show, and the person would never see the error.
        return text[:ECHOED_LENGTH.get(name, MAX_ECHOED)]

    def flag(name: str) -> bool:
        return str(values.get(name, "false")).lower() == "true" or values.get(name) is True

    # A big team would push the card past Teams' 28 KB: offer the first few people, and Teams' people
    # search for everyone else (it answers with Entra object ids, which the submit looks up).
    people = [(m.id, m.name) for m in members[:MAX_LISTED_PEOPLE]]
    search = len(members) > MAX_LISTED_PEOPLE
    default_commander = members[0].id if members else ""
    fields: list[tuple[str, dict[str, Any]]] = [
        ("title", text_input("title", t("declare.title"), value=value("title"), max_length=200, required=True,
                             placeholder=t("declare.title.placeholder"))),
        ("summary", text_input("summary", t("declare.summary"), value=value("summary"), multiline=True)),
        ("type", choice_input("type", t("declare.type"), [(k.key, k.name) for k in policy.incident_types],
                              value=value("type", policy.incident_types[0].key), required=True)),
        ("affects_customers", toggle_input("affects_customers", t("declare.affects_customers"),
                                           value=flag("affects_customers"))),
        ("unplanned", toggle_input("unplanned", t("declare.unplanned"), value=flag("unplanned"))),
        ("long_running", toggle_input("long_running", t("declare.long_running"), value=flag("long_running"))),
        ("severity", choice_input("severity", t("declare.severity"),
                                  [(s.name, f"{s.name} — {s.description}") for s in policy.severities],
                                  value=value("severity", policy.severities[1].name if len(policy.severities) > 1
                                              else policy.severities[0].name), required=True)),
        ("services", choice_input("services", t("declare.services"), [(s, s) for s in policy.services],
                                  value=value("services"), multi=True)),
        ("environments", choice_input("environments", t("declare.environments"),
                                      [(e, e) for e in policy.environments], value=value("environments"), multi=True)),
        ("regions", choice_input("regions", t("declare.regions"), [(r, r) for r in policy.regions],
                                 value=value("regions"), multi=True)),
        ("commander", people_input(choice_input("commander", t("declare.commander"), people,
                                                value=value("commander", default_commander), required=True), search)),
        ("responder", people_input(choice_input("responder", t("declare.responder"), people,
                                                value=value("responder")), search)),
        ("invitees", people_input(choice_input("invitees", t("declare.invitees"), people, value=value("invitees"),
                                               multi=True), search)),
        ("private", toggle_input("private", t("declare.private"), value=flag("private"))),
        ("broadcast", choice_input("broadcast", t("declare.broadcast"), [(c, c) for c in setup.broadcast_channels],
                                   value=value("broadcast", setup.default_broadcast))),
    ]
    body: list[dict[str, Any]] = []
    for name, item in fields:
        body.append(item)
        if name in errors:
            body.append(error_text(errors[name]))
    data = {"form_id": form_id, "confirm_not_incident": confirm}
    title = t("declare.anyway") if confirm else t("declare.submit")
    return render_card("declare", heading=t("declare.heading"), intro=t("declare.intro"), notice=notice,
                       fields=body, actions=[execute(title, "declare.submit", data, style="destructive")])
