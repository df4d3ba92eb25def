"""The home team: where incidents declared from a chat, by mail or from the CLI open their threads.

The first team the bot is used in is home by default. An incident admin chooses the home team
explicitly (``home here`` in Teams; ``teams home --team`` in the CLI), and from then on only another
explicit choice moves it. Teams are stored as conversation records under the owner ``teams``: one per
team the bot has seen (its id as purpose), and ``home``, a copy of the chosen team's record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incident.errors import InvalidValue, NotPermitted
from incident.people import Person
from incident.policy import OrganisationPolicy
from services.ports import ConversationReferenceRepository

OWNER, HOME = "teams", "home"


async def home_team(conversations: ConversationReferenceRepository) -> dict[str, Any] | None:
    """The home team's record, or None before the bot was used in any team."""
    return await conversations.get(OWNER, HOME)


async def known_teams(conversations: ConversationReferenceRepository) -> dict[str, dict[str, Any]]:
    """Every team the bot has been used in, by team id."""
    return {purpose: record for purpose, record in (await conversations.list_for(OWNER)).items() if purpose != HOME}


async def remember_team(conversations: ConversationReferenceRepository, team_id: str, record: dict[str, Any]) -> None:
    """A team the bot is used in; the first one becomes home until an admin chooses one."""
    await conversations.put(OWNER, team_id, record)
    if await home_team(conversations) is None:
        await conversations.put(OWNER, HOME, record)


def may_choose_home(policy: OrganisationPolicy, actor: Person) -> None:
    """Only incident admins move where every incident opens (by Teams id or Entra object id)."""
    if actor.id not in policy.admins and not (actor.aad_id and actor.aad_id in policy.admins):
        raise NotPermitted("only incident admins ([teams] admins in the organisation file) may choose the home team")


async def choose_home(conversations: ConversationReferenceRepository, team_id: str, by: Person,
                      at: datetime) -> dict[str, Any]:
    """Make ``team_id`` the home team; InvalidValue when the bot has never been used there (no way to post)."""
    record = await conversations.get(OWNER, team_id)
    if record is None:
        known = ", ".join(sorted(await known_teams(conversations))) or "none yet"
        raise InvalidValue("team", f"devopsbot has not been used in team '{team_id}': mention it once in that "
                                   f"team's incidents channel first (teams known: {known})")
    chosen = {**record, "chosen_by": by.name or by.id, "chosen_at": at.isoformat()}
    await conversations.put(OWNER, HOME, chosen)
    return chosen


def team_label(record: dict[str, Any]) -> str:
    """A team as people recognise it: its name (when Teams gave one) and id."""
    name = str(record.get("team_name") or "")
    return f"{name} ({record['team_id']})" if name else str(record["team_id"])
