"""``maintenance add|list|cancel`` in Teams: scheduled maintenance on the public status page. Refusals are said
in the reader's language (``maintenance.error.<key>``); times are UTC unless a zone is typed.

    maintenance add <start> <end> <components> <title> [| <description>]
    maintenance list
    maintenance cancel <id>
"""

from __future__ import annotations

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape
from bot.locale import Translator
from bot.turns import Answer, Turns, actor_of
from incident.maintenance import CancelMaintenance, MaintenanceError, MaintenanceWindow, parse_add, utc_text, window_id
from incident.policy import OrganisationPolicy
from incident.status_page import components_of
from services.maintenance import current_windows


def component_names(window: MaintenanceWindow, policy: OrganisationPolicy) -> str:
    return ", ".join(markdown_escape(c.name) for c in components_of(policy.status_page, window.components))


class MaintenanceTeams:
    """The ``maintenance`` command, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        action, _, rest = arguments.strip().partition(" ")
        try:
            text = await self._run(action.lower(), rest.strip(), turn_context, t)
        except MaintenanceError as error:  # said in the reader's language
            values = {k: markdown_escape(v) for k, v in error.values.items()}
            return Answer(text=t(f"maintenance.error.{error.key}", **values))
        return Answer(text=text)

    async def _run(self, action: str, rest: str, turn_context: TurnContext, t: Translator) -> str:
        deps = self.turns.bus.dependencies
        if action == "add":
            window: MaintenanceWindow = await self.turns.bus.handle(parse_add(rest, actor_of(turn_context)))
            return t("maintenance.scheduled", id=window.id, title=markdown_escape(window.title),
                     start=utc_text(window.starts_at), end=utc_text(window.ends_at),
                     components=component_names(window, deps.policy))
        if action == "cancel" and rest:
            window = await self.turns.bus.handle(CancelMaintenance(window_id(rest), actor_of(turn_context)))
            return t("maintenance.cancelled", id=window.id, title=markdown_escape(window.title))
        if action in ("list", ""):
            now = deps.clock.now()
            lines = [t("maintenance.line", id=w.id, state=t(f"maintenance.state.{w.state(now)}"),
                       start=utc_text(w.starts_at), end=utc_text(w.ends_at),
                       components=component_names(w, deps.policy), title=markdown_escape(w.title))
                     for w in await current_windows(deps)]
            return "\n".join([t("maintenance.heading"), *lines]) if lines else t("maintenance.none")
        return t("reply.usage", usage=t("usage.maintenance"))
