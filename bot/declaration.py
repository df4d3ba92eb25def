"""The declaration form: the card, and the validation of what comes back from it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from adapters.templates import render_card
from bot.actions import choice_input, error_text, execute, text_input, toggle_input
from bot.choice_search import searched_input
from bot.locale import Translator
from bot.setup import TeamsSetup
from bot.views import Member
from incident.policy import OrganisationPolicy

MAX_FORM_ID = 64
MAX_ECHOED = 500  # characters of a re-rendered field; the inputs themselves take at most 200
ECHOED_LENGTH = {"title": 200, "summary": 4000}
MAX_CHOSEN = 50  # values in one multi-select list
MAX_CHOSEN_TEXT = MAX_CHOSEN * 201  # as many values of the longest length, and their commas
LISTS = ("services", "environments", "regions", "invitees")  # the multi-select fields


def _split(value: Any) -> Any:
    """A multi-select choice set sends one "a,b,c" string (the older checkbox lists sent the same); a forged form
    may send a list. The length is checked before splitting; repeats are dropped, the order kept."""
    if isinstance(value, str | list) and len(value) > MAX_CHOSEN_TEXT:
        raise PydanticCustomError("too_many_chosen", "at most {limit} values", {"limit": MAX_CHOSEN})
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return value  # not text: the list type below refuses it
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


Words = Annotated[list[Annotated[str, Field(max_length=200)]], BeforeValidator(_split), Field(max_length=MAX_CHOSEN)]
Short = Annotated[str, Field(max_length=200)]


class DeclarationForm(BaseModel):
    """What the declaration card submits. Unknown keys (Teams adds some) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    form_id: Annotated[str, Field(min_length=8, max_length=MAX_FORM_ID, pattern=r"^[A-Za-z0-9-]+$")]
    title: Annotated[str, Field(max_length=200)] = ""
    summary: Annotated[str, Field(max_length=4000)] = ""
    type: Short = ""
    # The card starts these ticked (declaring says it is an incident), so one that is not sent was not unticked.
    affects_customers: bool = True
    unplanned: bool = True
    long_running: bool = True
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


TOO_MANY = {"too_many_chosen", "too_long"}  # pydantic's names for a list past its length


def parse_declaration(data: dict[str, Any], t: Translator) -> tuple[DeclarationForm | None, dict[str, str]]:
    """The form, or the errors by field name (a forged form without a form id has nothing to re-render)."""
    try:
        return DeclarationForm.model_validate(data), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            listed = field in LISTS and len(problem["loc"]) == 1 and problem["type"] in TOO_MANY
            errors.setdefault(field, t("declare.too_many", limit=MAX_CHOSEN) if listed else problem["msg"])
        return None, errors


MAX_LISTED_PEOPLE = 25
SHORT_DESCRIPTION = 24  # characters of a severity's description in its dropdown choice


def people_input(picker: dict[str, Any], search: bool) -> dict[str, Any]:
    """With ``search``, the picker also searches the organisation's people (Teams' people picker)."""
    if not search:
        return picker
    return {**picker, "style": "filtered", "isMultiSelect": picker["isMultiSelect"],
            "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}}


def new_form_id() -> str:
    return uuid.uuid4().hex


def short_severity(name: str, description: str) -> str:
    """"SEV1 — critical": the dropdown shows its choices on one line, so only the description's first words."""
    head = description.partition(":")[0].partition(".")[0].strip()
    words = head[:SHORT_DESCRIPTION].lower()
    return f"{name} — {words}" if words else name


def declaration_card(policy: OrganisationPolicy, setup: TeamsSetup, t: Translator, members: list[Member], *,
                     form_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                     notice: str = "", confirm: bool = False) -> dict[str, Any]:
    """The form, essentials first and the rest behind "More details"; re-rendered with what was typed and each
    error beside its field (the details open when one of them has an error)."""
    values, errors = values or {}, errors or {}

    def value(name: str, default: str = "") -> str:
        given = values.get(name, default)
        text = ",".join(map(str, given)) if isinstance(given, list) else str(given)
        # What was typed comes back, but no more than the field takes: a forged 200 KB title echoed in full
        # would make a card Teams refuses to show, and the person would never see the error.
        return text[:ECHOED_LENGTH.get(name, MAX_ECHOED)]

    def flag(name: str, default: bool = False) -> bool:
        given = values.get(name, default)
        return given is True or str(given).lower() == "true"

    # A big team would push the card past Teams' 28 KB: offer the first few people, and Teams' people
    # search for everyone else (it answers with Entra object ids, which the submit looks up).
    people = [(m.id, m.name) for m in members[:MAX_LISTED_PEOPLE]]
    search = len(members) > MAX_LISTED_PEOPLE
    default_commander = members[0].id if members else ""
    default_severity = policy.severities[1].name if len(policy.severities) > 1 else policy.severities[0].name
    essentials: list[tuple[str, dict[str, Any]]] = [
        ("title", text_input("title", t("declare.title"), value=value("title"), max_length=200, required=True,
                             placeholder=t("declare.title.placeholder"), error_message=t("declare.title.required"))),
        ("severity", choice_input("severity", t("declare.severity"),
                                  [(s.name, short_severity(s.name, s.description)) for s in policy.severities],
                                  value=value("severity", default_severity), required=True,
                                  error_message=t("declare.severity.required"))),
        ("type", choice_input("type", t("declare.type"), [(k.key, k.name) for k in policy.incident_types],
                              value=value("type", policy.incident_types[0].key), required=True,
                              error_message=t("declare.type.required"))),
        ("commander", people_input(choice_input("commander", t("declare.commander"), people,
                                                value=value("commander", default_commander), required=True,
                                                error_message=t("declare.commander.required")), search)),
        ("private", toggle_input("private", t("declare.private"), value=flag("private"))),
    ]
    # Declaring says it is an incident: the three criteria start ticked, and whoever knows otherwise unticks one.
    details: list[tuple[str, dict[str, Any]]] = [
        ("summary", text_input("summary", t("declare.summary"), value=value("summary"), multiline=True)),
        *[(name, toggle_input(name, t(f"declare.{name}"), value=flag(name, default=True)))
          for name in ("affects_customers", "unplanned", "long_running")],
        *[(name, searched_input(choice_input(name, t(f"declare.{name}"), [(c, c) for c in listed], value=value(name),
                                             multi=True, filtered=True), name, listed, value(name)))
          for name, listed in (("services", policy.services), ("environments", policy.environments),
                               ("regions", policy.regions))],
        ("responder", people_input(choice_input("responder", t("declare.responder"), people,
                                                value=value("responder")), search)),
        ("invitees", people_input(choice_input("invitees", t("declare.invitees"), people, value=value("invitees"),
                                               multi=True, filtered=True), search)),
        ("broadcast", choice_input("broadcast", t("declare.broadcast"), [(c, c) for c in setup.broadcast_channels],
                                   value=value("broadcast", setup.default_broadcast))),
    ]
    data = {"form_id": form_id, "confirm_not_incident": confirm}
    title = t("declare.anyway") if confirm else t("declare.submit")
    return render_card("declare", heading=t("declare.heading"), intro=t("declare.intro"), notice=notice,
                       essentials=_with_errors(essentials, errors), details=_with_errors(details, errors),
                       more=t("declare.more"), show_details=any(name in errors for name, _ in details),
                       actions=[execute(title, "declare.submit", data, style="destructive")])


def _with_errors(fields: list[tuple[str, dict[str, Any]]], errors: dict[str, str]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for name, item in fields:
        body.append(item)
        if name in errors:
            body.append(error_text(errors[name]))
    return body
