"""``home`` in Teams: which team incidents declared outside a team open in; ``home here`` (admins) moves it."""

from __future__ import annotations

from adapters.templates import markdown_escape
from bot.locale import Translator
from incident.people import Person
from services import home_team
from services.bus import Dependencies


class HomeCommands:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def run(self, arguments: str, actor: Person, team_id: str, t: Translator) -> str:
        """``team_id``: the team the message was sent in, or "" from a chat outside any team."""
        words = arguments.lower().split()
        if words == ["here"]:
            home_team.may_choose_home(self.deps.policy, actor)
            if not team_id:
                return t("home.not_in_team")
            await home_team.choose_home(self.deps.conversations, team_id, actor, self.deps.clock.now())
            return t("home.chosen")
        if words:
            return t("home.usage")
        record = await home_team.home_team(self.deps.conversations)
        if record is None:
            return t("home.none")
        team = markdown_escape(home_team.team_label(record))
        if record.get("chosen_by"):
            return t("home.show_chosen", team=team, who=markdown_escape(str(record["chosen_by"])),
                     at=str(record.get("chosen_at", "")))
        return t("home.show_default", team=team)
