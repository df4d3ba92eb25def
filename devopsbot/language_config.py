"""The organisation file's languages: ``[organisation] language`` (the default), and ``language`` on an audience
or a person, for people devopsbot only mails. "en" or "fr"; a regional form ("fr-CA") is read as its language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Protocol

from pydantic import AfterValidator

from incident.errors import InvalidValue
from incident.languages import configured_language


def _language(value: str) -> str:
    try:
        return configured_language(value)
    except InvalidValue as error:
        raise ValueError(error.reason) from None


Language = Annotated[str, AfterValidator(_language)]


class _Audience(Protocol):
    @property
    def emails(self) -> list[str]: ...

    @property
    def language(self) -> str: ...


class _Person(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def language(self) -> str: ...


def configured_languages(audiences: Mapping[str, _Audience], people: Iterable[_Person]) -> dict[str, str]:
    """Lower-cased address (and Teams id) → language: an audience's language for each of its addresses, then a
    person's own (which wins over their audience's)."""
    found = {address.lower(): a.language for a in audiences.values() if a.language for address in a.emails}
    for person in people:
        if person.language:
            found |= {key.lower(): person.language for key in (person.id, person.email) if key}
    return found
