"""The triage cards of the composition root: on Teams, built on first use (botbuilder is imported only when
an alert is triaged), or none when a test hands in its own notifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from services.triage_ports import TriageCard, TriageCards

if TYPE_CHECKING:
    from devopsbot.bootstrap import Container


class LazyTriageCards:
    def __init__(self, build: Callable[[], TriageCards]) -> None:
        self._build = build
        self._built: TriageCards | None = None

    async def show(self, card: TriageCard) -> None:
        if self._built is None:
            self._built = self._build()
        await self._built.show(card)


def triage_cards(container: Container, *, own_notifier: bool) -> TriageCards | None:
    if own_notifier:
        return None

    def build() -> TriageCards:
        from bot.notifier import TeamsNotifier
        from bot.triage_cards import TeamsTriageCards

        teams = container.teams_notifier
        assert isinstance(teams, TeamsNotifier)
        return TeamsTriageCards(teams, container.dependencies.conversations, container.teams_setup)

    return LazyTriageCards(build)
