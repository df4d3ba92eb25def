"""The one error hierarchy of devopsbot; every edge maps it to its own vocabulary.

    DevopsbotError                  base; ``str(error)`` is a one-line message safe to show a user
    ├── DomainError                 a rule of the incident process refused the change (HTTP 409/422)
    │   ├── IllegalTransition       the lifecycle has no move between the two states
    │   ├── ReasonRequired          the move needs a written reason and none was given
    │   ├── InvalidValue            a field's value is malformed (empty title, unknown severity, ...)
    │   │   └── UnknownChoice       not one of the organisation's names for it (severity, type, role, ...)
    │   ├── ExitCriteriaUnmet       resolving with unmet exit criteria and no override reason
    │   └── NotPermitted            the actor may not do this (HTTP 403)
    ├── NotFound                    the incident (or other record) does not exist (HTTP 404)
    ├── ConcurrencyConflict         somebody else changed the record first; reload and re-apply (HTTP 409)
    ├── ConfigurationError          settings or the organisation file are wrong; nothing starts (HTTP 503)
    ├── StorageUnavailable          Table Storage cannot be reached (HTTP 503)
    ├── NotificationFailed          Teams could not be told; the change is stored and the telling retried
    ├── GraphError                  Microsoft Graph refused or failed a call (opening a channel or chat)
    └── TrackerError                the external tracker refused or failed to file a follow-up (retried)

The HTTP edge maps these to status codes (``functions/http_errors.py``), the bot to a friendly
card and the CLI to an exit code with a one-line message on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model imports these errors
    from incident.people import Person


class DevopsbotError(Exception):
    """Base of every error devopsbot raises on purpose."""


class DomainError(DevopsbotError):
    """A rule of the incident process refused the change."""


class IllegalTransition(DomainError):
    """The lifecycle has no move from one state to the other."""

    def __init__(self, incident_id: str, current: str, target: str, hint: str = "") -> None:
        message = f"{incident_id} cannot move from '{current}' to '{target}'"
        super().__init__(f"{message}: {hint}" if hint else message)
        self.incident_id = incident_id
        self.current = current
        self.target = target


class ReasonRequired(DomainError):
    """The move or change needs a written reason."""


class InvalidValue(DomainError):
    """A value given for a field is malformed or unknown."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownChoice(InvalidValue):
    """A name the organisation does not define for the field; ``known`` are the ones it does, so each edge can
    say, in its own words, what to use instead."""

    def __init__(self, field: str, given: str, known: Sequence[str], noun: str = "", reason: str = "") -> None:
        super().__init__(field, reason or f"unknown {noun or field} '{given}' (known: {', '.join(known)})")
        self.given = given
        self.known = tuple(known)


class ExitCriteriaUnmet(DomainError):
    """Resolving needs every exit criterion met, or an override with a written reason."""

    def __init__(self, unmet: Sequence[Any]) -> None:
        texts = "; ".join(getattr(c, "text", str(c)) for c in unmet)
        super().__init__(f"exit criteria not met: {texts}. Tick them, or give an override reason")
        self.unmet = tuple(unmet)


class NotPermitted(DomainError):
    """The person asking may not make this change."""


class NotFound(DevopsbotError):
    """The record asked for does not exist."""


class ConcurrencyConflict(DevopsbotError):
    """The record changed since it was read; the caller reloads and re-applies."""


class DeclarationInProgress(ConcurrencyConflict):
    """The same declaration (a double click, or Teams delivering it again) is being stored right now."""


class ConfigurationError(DevopsbotError):
    """A setting or the organisation file is wrong; the app refuses to run half-configured."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        location = f"{source}: {field}" if field else source
        super().__init__(f"{location}: {reason}")
        self.source = source
        self.field = field
        self.reason = reason


class StorageUnavailable(DevopsbotError):
    """Table Storage could not be reached or answered with a server error."""


class NotificationFailed(DevopsbotError):
    """Teams (or another channel) could not be told; the change itself is stored, and it is retried.

    ``people``, when given, are the only ones it failed to reach: the others were told. ``refused``: Teams
    answered and refused this message (a conversation that is gone, a bad argument), which says nothing about
    whether Teams is up, so it does not count towards marking Teams down.
    """

    def __init__(self, message: str, *, people: tuple[Person, ...] = (), refused: bool = False) -> None:
        super().__init__(message)
        self.people = people
        self.refused = refused


class GraphError(DevopsbotError):
    """Microsoft Graph refused or failed a call, or no token for it could be had.

    ``status`` is Graph's HTTP status (0 when Graph was unreachable or the token was refused) and
    ``code`` Graph's or Entra ID's error code; the message never holds a token or a secret.
    """

    def __init__(self, operation: str, reason: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(f"Microsoft Graph failed while {operation}: {reason}")
        self.operation = operation
        self.status = status
        self.code = code


class TrackerError(DevopsbotError):
    """The external tracker (Azure DevOps Boards, GitHub) refused or failed to file a follow-up.

    ``status`` is the tracker's HTTP status (0 when unreachable); the message never holds the token.
    """

    def __init__(self, tracker: str, reason: str, *, status: int = 0) -> None:
        super().__init__(f"{tracker} did not file the follow-up: {reason}")
        self.tracker = tracker
        self.status = status
