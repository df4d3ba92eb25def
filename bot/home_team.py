"""``home`` in Teams: which team incidents declared outside a team open in; ``home here`` (admins) moves it.
And the first team the bot is used in, remembered as the home until an admin chooses one."""

from __future__ import annotations

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.references import reference_to_dict, tenant_of
from bot.turns import Answer, actor_of, team_data, team_of
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

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        """The ``home`` command, for the verb table (bot/verb_table.py)."""
        return Answer(text=await self.run(arguments, actor_of(turn_context), team_of(turn_context), t))


class HomeTeamMemory:
    """Remembers each team the bot is used in, once per conversation and process."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self._known_home: tuple[str, str] | None = None

    async def remember(self, turn_context: TurnContext) -> None:
        """The team the bot is used in: where incident threads open when declared from a chat or the CLI."""
        team = team_data(turn_context)
        if not team.get("id"):
            return
        conversation_id = turn_context.activity.conversation.id
        if self._known_home == (team["id"], conversation_id):
            return
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        record = {"team_id": team["id"], "aad_group_id": team.get("aadGroupId", ""),
                  "team_name": str(team.get("name", ""))[:200], "reference": reference_to_dict(reference),
                  "tenant_id": tenant_of(turn_context.activity)}
        # The home team (for declarations from chats and the CLI) is the first one until an admin chooses
        # one ('home here'); another team's mention does not move it. An incident declared in a team lives there.
        await home_team.remember_team(self.deps.conversations, team["id"], record)
        self._known_home = (team["id"], conversation_id)
