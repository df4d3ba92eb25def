"""Each person's language, the one answer to "which language for this person or address" for every mail.

An address is the roster's person with that address when the incident's services' roster has one. In order:
what Teams told devopsbot (the locale of the person's own activities, remembered as they talk to the
bot), what the roster says of them (``person_language``), what the organisation file says of them (their
``language``, or their audience's), else the incident's language, else the organisation's default. English and
French only: anything else reads as English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from incident.errors import DevopsbotError
from incident.languages import DEFAULT, language_of
from incident.model import Incident, Person
from incident.roster import ORGANISATION
from services.bus import Dependencies
from services.ports import ConversationReferenceRepository

PURPOSE = "language"  # the record's purpose under the owner ``person:<Teams id>``
MAX_LOCALE = 35  # a BCP 47 tag is far shorter; anything longer is not kept
Recipient = TypeVar("Recipient", Person, str)


def _owner(person_id: str) -> str:
    return f"person:{person_id}"


async def remembered_language(conversations: ConversationReferenceRepository, person_id: str) -> str:
    """The language of the person's Teams activities, or "" when they never talked to the bot."""
    record = await conversations.get(_owner(person_id), PURPOSE) if person_id else None
    return language_of(str(record.get("language", ""))) if record else ""


async def remember_language(conversations: ConversationReferenceRepository, person_id: str, locale: str,
                            now: datetime) -> str:
    """Keep the language of a person's Teams locale (``fr-FR`` → ``fr``), written only when it changed.
    Returns the language kept, "" when the activity said none."""
    locale = locale.strip()
    if not person_id or not locale or len(locale) > MAX_LOCALE:
        return ""
    language = language_of(locale)
    if await remembered_language(conversations, person_id) != language:
        await conversations.put(_owner(person_id), PURPOSE, {"language": language, "locale": locale,
                                                             "at": now.isoformat()})
    return language


async def roster_people(deps: Dependencies, incident: Incident | None) -> dict[str, Person]:
    """The people of the incident's services' roster (and the organisation-wide row), by lower-cased address: an
    address mailed is theirs, so their language is. One read; a storage failure leaves the roster out."""
    if incident is None:
        return {}
    try:
        partitions = await deps.roster.partitions(list(dict.fromkeys((*incident.services, ORGANISATION))))
    except DevopsbotError:
        return {}
    found: dict[str, Person] = {}
    for partition in partitions:
        people = [*(p for entry in partition.entries for p in entry.people), *(o.person for o in partition.overrides)]
        for person in people:
            if person.email:
                found.setdefault(person.email.strip().lower(), person)
    return found


async def language_for(deps: Dependencies, who: Person | str, incident: Incident | None = None, *,
                       known: dict[str, Person] | None = None) -> str:
    """``who``'s language: a person (their Teams language first) or an email address (the roster's person with
    that address, when there is one: ``known`` when the caller read them already, else read now)."""
    if isinstance(who, str):
        people = known if known is not None else await roster_people(deps, incident)
        who = people.get(who.strip().lower(), who)
    keys: tuple[str, ...] = (who,) if isinstance(who, str) else (who.id, who.email)
    if isinstance(who, Person) and (remembered := await remembered_language(deps.conversations, who.id)):
        return remembered
    if isinstance(who, Person) and who.language:  # the roster's
        return language_of(who.language)
    for key in keys:
        if key and (configured := deps.policy.languages.get(key.strip().lower())):
            return configured
    if incident is not None:
        return language_of(incident.language)
    return deps.policy.language or DEFAULT


async def by_language(deps: Dependencies, recipients: Sequence[Recipient],
                      incident: Incident | None = None) -> dict[str, list[Recipient]]:
    """Recipients (people or addresses) in groups of one language each, each group in the given order, the
    default language's first."""
    groups: dict[str, list[Recipient]] = {}
    known = await roster_people(deps, incident) if any(isinstance(r, str) for r in recipients) else {}
    for recipient in recipients:
        groups.setdefault(await language_for(deps, recipient, incident, known=known), []).append(recipient)
    return dict(sorted(groups.items(), key=lambda item: item[0] != DEFAULT))
