"""Roster changes are commands on the bus: the handler applies who may, whatever surface sent them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.errors import NotPermitted
from incident.policy import OrganisationPolicy
from incident.roster_commands import ImportRoster, SetRole
from tests.conftest import ALICE, BOB


def container(policy: OrganisationPolicy, clock: FixedClock, admins: tuple[str, ...] = ()) -> Container:
    return Container(Settings(storage_connection_string="memory"), in_memory=True, clock=clock,
                     policy=replace(policy, admins=admins))


async def test_a_person_who_is_not_an_incident_admin_cannot_set_a_role(policy: OrganisationPolicy,
                                                                       clock: FixedClock) -> None:
    built = container(policy, clock)
    with pytest.raises(NotPermitted, match="only incident admins"):
        await built.bus.handle(SetRole("checkout", "commander", (BOB,), ALICE))
    assert await built.dependencies.roster.get("checkout", "commander") is None


async def test_an_incident_admin_sets_a_role_and_the_operator_imports_without_being_one(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    built = container(policy, clock, admins=(ALICE.id,))
    entry = await built.bus.handle(SetRole("checkout", "commander", (BOB, ALICE), ALICE))
    assert [p.id for p in entry.chain] == [BOB.id, ALICE.id]
    rows = ("service,role,kind,person_id,person_name,person_email,handoff,timezone,since,start,end,reason\n"
            "payments,commander,primary,29:bob,Bob Durand,bob@contoso.example,,,,,,\n")
    counts = await built.bus.handle(ImportRoster(rows.encode(), BOB, enforce_roles=False))
    assert counts == {"payments": 1}
    stored = await built.dependencies.roster.get("payments", "commander")
    assert stored is not None and stored.primary == BOB
