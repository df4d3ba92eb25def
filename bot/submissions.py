"""Every card action's payload, validated with pydantic before anything acts on it."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

IncidentId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{4,9}$", max_length=30)]
Text = Annotated[str, Field(max_length=4000)]


class _Payload(BaseModel):
    # Teams adds keys of its own to action data; those are ignored, never trusted.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class IncidentAction(_Payload):
    incident_id: IncidentId


class UpdateAction(IncidentAction):
    text: Text = ""


class SeverityAction(IncidentAction):
    severity: Annotated[str, Field(max_length=20)] = ""
    reason: Annotated[str, Field(max_length=500)] = ""


class AssignAction(IncidentAction):
    role: Annotated[str, Field(max_length=60)] = ""
    person: Annotated[str, Field(max_length=200)] = ""


class StatusAction(IncidentAction):
    status: Literal["investigating", "identified", "monitoring"]  # what the commander sets by hand


class SnoozeAction(IncidentAction):
    minutes: Annotated[int, Field(ge=1, le=1440)]


class PlanTickAction(IncidentAction):
    step: Annotated[int, Field(ge=0, le=99)]


class ResolveFormAction(IncidentAction):
    # The form is a message of its own (after 'resolve' or a reminder), not the incident card turned into it.
    standalone: bool = False


class ResolveAction(ResolveFormAction):
    """The exit-criteria toggles arrive as ``criterion_<key>`` = "true"/"false"; extra keys are kept here."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    resolution: Text = ""
    override_reason: Text = ""
    final_public_update: Text = ""  # offered when the incident is on the status page (bot/views.py)

    def met(self, keys: list[str]) -> tuple[str, ...]:
        extra = self.model_extra or {}
        return tuple(k for k in keys if str(extra.get(f"criterion_{k}", "false")).lower() == "true")

    def task_choices(self) -> tuple[tuple[int, str, str], ...]:
        """The form's choice per open task (``task_<n>``: carry or drop; ``task_<n>_reason``), for the command."""
        extra = self.model_extra or {}
        numbers = [key[5:] for key in extra if key.startswith("task_") and key[5:].isdigit() and len(key) < 10]
        return tuple((int(n), str(extra[f"task_{n}"])[:10], str(extra.get(f"task_{n}_reason", ""))[:4000])
                     for n in numbers)


class PayloadError(ValueError):
    """A card action's payload is malformed: forged, stale or cut."""


P = TypeVar("P", bound=_Payload)


def parse_payload(model: type[P], data: dict[str, Any]) -> P:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "payload"
        # A regular expression means nothing to a person: say what the value should have been.
        message = "not a value this card sends" if problem["type"] == "string_pattern_mismatch" else problem["msg"]
        raise PayloadError(f"{where}: {message}") from None


class CaptureAction(_Payload):
    """The message action's dialog, submitted: the incident chosen, and whether it is a key event."""

    incident_id: IncidentId
    key_event: bool = False
