"""Remembers each person's Teams language (the locale of their activities), so their email is in it too
(services/people_language.py). One read per person and process; a write only when the language changed."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from incident.errors import DevopsbotError
from incident.languages import language_of
from services.bus import Dependencies
from services.people_language import remember_language

log = logging.getLogger(__name__)
MAX_KNOWN = 10_000  # people remembered in this process before the memory starts afresh


class PersonLanguageMemory:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self._known: dict[str, str] = {}

    async def remember(self, turn_context: TurnContext) -> None:
        """The sender's language, from the activity's ``locale``; a storage failure never costs the turn."""
        activity = turn_context.activity
        sender = activity.from_property
        if sender is None or not sender.id or not activity.locale:
            return
        if self._known.get(sender.id) == language_of(activity.locale):
            return
        try:
            language = await remember_language(self.deps.conversations, sender.id, activity.locale,
                                               self.deps.clock.now())
        except DevopsbotError as error:
            log.warning("could not remember a person's language: %s", error)
            return
        if len(self._known) >= MAX_KNOWN:
            self._known.clear()
        self._known[sender.id] = language
