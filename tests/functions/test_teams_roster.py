"""`roster` in Teams through the Bot Framework protocol: admins set it with @mentions, anyone reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy, RoleDefinition
from tests.functions.conftest import teams_message
from tests.functions.test_teams_conversation import send
from tests.support.connector import ConnectorDouble

BOB = ("29:bob", "Bob Durand")



def with_mentions(text: str, *people: tuple[str, str], user: tuple[str, str] = ("29:alice", "Alice Martin")
                  ) -> dict[str, Any]:
    activity = teams_message(text, user=user)
    for person_id, name in people:
        activity["entities"].append({"type": "mention", "text": f"<at>{name}</at>",
                                     "mentioned": {"id": person_id, "name": name}})
    return activity


async def reply(activity: dict[str, Any]) -> str:
    status, body = await send(activity)
    assert status == 200
    [answer] = body["activities"]
    return str(answer["text"])


async def test_an_admin_sets_a_role_with_mentions_in_the_order_typed(admin_installed: Container) -> None:
    text = await reply(with_mentions("roster set checkout commander <at>Chloe Nguyen</at> <at>Bob Durand</at>",
                                     ("29:bob", "Bob Durand"), ("29:chloe", "Chloe Nguyen")))
    assert text == "Roster of checkout, Incident commander: Chloe Nguyen → Bob Durand."
    entry = await admin_installed.dependencies.roster.get("checkout", "commander")
    assert entry is not None and [p.id for p in entry.chain] == ["29:chloe", "29:bob"]
    shown = await reply(teams_message("roster show checkout"))
    assert "**checkout** · Incident commander: Chloe Nguyen → Bob Durand" in shown


async def test_someone_who_is_not_an_admin_cannot_change_the_roster(admin_installed: Container) -> None:
    text = await reply(with_mentions("roster set checkout commander <at>Bob Durand</at>", ("29:bob", "Bob Durand"),
                                     user=BOB))
    assert text.startswith("Sorry, only incident admins")
    assert await admin_installed.dependencies.roster.get("checkout", "commander") is None


async def test_an_unknown_service_or_role_names_the_valid_ones(admin_installed: Container) -> None:
    service = await reply(with_mentions("roster set kiosk commander <at>Bob Durand</at>", ("29:bob", "Bob Durand")))
    assert service.startswith("kiosk is not a service here. Use one of checkout, payments, search, identity, "
                              "mobile-api, data-platform")
    role = await reply(with_mentions("roster set checkout pilot <at>Bob Durand</at>", ("29:bob", "Bob Durand")))
    assert role.startswith("pilot is not a role here. Use one of commander, deputy")


async def test_an_override_is_stored_and_an_overlapping_one_refused(admin_installed: Container) -> None:
    await reply(with_mentions("roster set checkout commander <at>Bob Durand</at>", ("29:bob", "Bob Durand")))
    done = await reply(with_mentions("roster override checkout commander <at>Chloe Nguyen</at> 2026-12-01 2026-12-04",
                                     ("29:chloe", "Chloe Nguyen")))
    assert done == "Chloe Nguyen holds Incident commander for checkout from 2026-12-01 00:00 to 2026-12-04 00:00 UTC."
    clash = await reply(with_mentions("roster override checkout commander <at>Dave O</at> 2026-12-03 2026-12-05",
                                      ("29:dave", "Dave O")))
    assert "overlaps the override of Chloe Nguyen" in clash
    overrides = (await admin_installed.dependencies.roster.partition("checkout")).overrides
    assert [o.person.id for o in overrides] == ["29:chloe"]


async def test_check_lists_the_single_points_of_failure(admin_installed: Container) -> None:
    await reply(with_mentions("roster set * commander <at>Bob Durand</at>", ("29:bob", "Bob Durand")))
    text = await reply(teams_message("roster check", user=BOB))  # anyone may read the report
    assert "single points of failure** in the roster" in text
    assert "**\\*** · commander: Incident commander hangs on one person (Bob Durand): add a delegate" in text


async def test_a_role_is_named_in_the_roster_as_in_assign_its_dashed_key_in_any_case(
        policy: OrganisationPolicy, connector: ConnectorDouble) -> None:
    """One reading of role words (the organisation policy's): a key with capitals, typed dashed and in lower case."""
    on_call = RoleDefinition(key="On_Call", name="On-call engineer")
    container = Container(Settings(storage_connection_string="memory"), in_memory=True,
                          clock=FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
                          policy=replace(policy, admins=("29:alice",), roles=(*policy.roles, on_call)))
    bootstrap.reset_container(container)
    try:
        text = await reply(with_mentions("roster set checkout on-call <at>Bob Durand</at>", BOB))
    finally:
        bootstrap.reset_container(None)
    assert text == "Roster of checkout, On-call engineer: Bob Durand."
    entry = await container.dependencies.roster.get("checkout", "On_Call")
    assert entry is not None and [p.id for p in entry.chain] == ["29:bob"]
