"""The triage cards of the composition root: on Teams, built on first use (botbuilder is imported only when
an alert is triaged), or none when a test hands in its own notifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.ports import ConversationReferenceRepository
from services.triage_ports import TriageCard, TriageCards


class LazyTriageCards:
    def __init__(self, build: Callable[[], TriageCards]) -> None:
        self._build = build
        self._built: TriageCards | None = None

    async def show(self, card: TriageCard) -> None:
        if self._built is None:
            self._built = self._build()
        await self._built.show(card)


def triage_cards(teams: Callable[[], Any], conversations: ConversationReferenceRepository, setup: Callable[[], Any],
                 *, own_notifier: bool) -> TriageCards | None:
    """``teams``: the Teams notifier, ``setup``: the Teams setup, both built on first use."""
    if own_notifier:
        return None

    def build() -> TriageCards:
        from bot.notifier import TeamsNotifier
        from bot.triage_cards import TeamsTriageCards

        notifier = teams()
        assert isinstance(notifier, TeamsNotifier)
        return TeamsTriageCards(notifier, conversations, setup())

    return LazyTriageCards(build)
