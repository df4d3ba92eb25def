"""The home team is chosen by an incident admin with `home here`; the first team is only the default."""

from __future__ import annotations

from typing import Any

from devopsbot.bootstrap import Container
from incident import commands
from tests.conftest import ALICE
from tests.functions.conftest import teams_message
from tests.functions.test_teams_conversation import send
from tests.support.connector import ConnectorDouble

BOB = ("29:bob", "Bob Durand")



def in_team(text: str, team: str, **kwargs: Any) -> dict[str, Any]:
    activity = teams_message(text, conversation=f"{team}-general;messageid=1", **kwargs)
    activity["channelData"]["team"] = {"id": team, "aadGroupId": f"group-{team}", "name": f"Team {team}"}
    return activity


async def reply(activity: dict[str, Any]) -> str:
    status, body = await send(activity)
    assert status == 200
    [answer] = body["activities"]
    return str(answer["text"])


async def home_id(container: Container) -> str:
    record = await container.dependencies.conversations.get("teams", "home")
    assert record is not None
    return str(record["team_id"])


async def test_an_admin_makes_another_team_home_and_later_teams_do_not_move_it(
        admin_installed: Container, connector: ConnectorDouble) -> None:
    shown = await reply(in_team("home", "first"))
    assert shown.startswith("Home team: Team first (first), the first team I was used in")
    assert await reply(in_team("home here", "ops")) == (
        "This team is now the home team: incidents declared in a chat, by email or from the CLI open here.")
    await reply(in_team("home", "first"))  # the first team again, and a third: neither moves it
    await reply(in_team("home", "third"))
    assert await home_id(admin_installed) == "ops"
    assert (await reply(in_team("home", "third"))).startswith(
        "Home team: Team ops (ops), chosen by Alice Martin at 2026-11-27T10:00:00+00:00.")
    # An incident declared outside a team (here: the CLI's path) opens in the chosen team.
    await admin_installed.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE}))
    await admin_installed.bus.drain()
    assert connector.teams_looked_up[-1] == "ops"


async def test_someone_who_is_not_an_admin_cannot_move_the_home_team(admin_installed: Container) -> None:
    await reply(in_team("home", "first"))
    refused = await reply(in_team("home here", "ops", user=BOB))
    assert refused == (r"Sorry, only incident admins (\[teams\] admins in the organisation file) may choose the "
                       "home team.")  # (Markdown-escaped for Teams)
    assert await home_id(admin_installed) == "first"


async def test_home_here_outside_a_team_says_where_to_say_it(admin_installed: Container) -> None:
    activity = teams_message("home here", conversation="a:personal-chat")
    activity["channelData"] = {"tenant": {"id": "tenant-1"}}
    activity["conversation"]["conversationType"] = "personal"
    assert await reply(activity) == "Say 'home here' in a channel of the team that should be home."
