"""Triage decided once on shared storage, in memory and on Azurite: a Declare on one host, a Dismiss on another
and the deadline's timer, all at the same moment, make one decision, one audit line and at most one incident."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from tests.functions.alerts_support import answer, post
from tests.functions.conftest import built_function, request, teams_invoke
from tests.functions.test_alert_triage import ALERT, triaging
from tests.integration.test_alert_storage import BuildHost, hosts

__all__ = ["hosts"]  # a fixture, imported for these tests


@pytest.fixture
def policy() -> OrganisationPolicy:
    """The shipped organisation, with log-search alerts triaged and declared at the deadline."""
    return triaging(load_organisation(ROOT / "config" / "organisation.toml"), after="declare")


async def click(host: Container, verb: str, data: dict[str, Any], user: tuple[str, str]) -> dict[str, Any]:
    bootstrap.reset_container(host)  # the function reads the process's container when it starts
    response = await built_function("messages")(request("POST", "messages", teams_invoke(verb, data, user=user)))
    return dict(json.loads(response.get_body()))


async def test_two_hosts_and_the_deadline_deciding_at_once_make_one_decision(hosts: BuildHost) -> None:
    first, second = hosts(), hosts()
    bootstrap.reset_container(first)
    taken = answer(await post("generic", ALERT))["signals"][0]
    assert taken["outcome"].startswith("awaiting triage")
    assert first.dependencies.signals is not None
    [stored] = await first.dependencies.signals.since(first.clock.now() - timedelta(minutes=1))
    key = stored.signal.key
    first.clock.advance(timedelta(minutes=30))  # the hosts share the clock: the deadline is due
    replies = await asyncio.gather(
        click(first, "triage.declare", {"signal": key}, ("29:alice", "Alice Martin")),
        click(second, "triage.dismiss", {"signal": key}, ("29:bob", "Bob Durand")),
        click(second, "triage.dismiss", {"signal": key}, ("29:bob", "Bob Durand")),
        run_tick(second.bus, second.clock.now()))
    await run_tick(first.bus, first.clock.now() + timedelta(minutes=10))  # a deadline put off by a conflict
    assert first.dependencies.audit is not None
    audited = [r for r in await first.dependencies.audit.on_day(first.clock.now()) if r.kind == "alert_triaged"]
    assert len(audited) == 1, audited
    decision = audited[0].detail["decision"]
    incidents = await first.dependencies.incidents.list_open()
    assert len(incidents) == (1 if decision == "declared" else 0)
    [after] = await first.dependencies.signals.since(first.clock.now() - timedelta(hours=1))
    assert after.outcome.startswith(f"triage: {decision}")
    cards = [r["value"] for r in replies[:3] if r["type"] == "application/vnd.microsoft.card.adaptive"]
    if not cards:  # the deadline took the signal first and decided while the three clicks waited on it
        assert {r["value"] for r in replies[:3]} == {
            "Someone is deciding on this alert right now; look again in a moment. Nothing was changed."}, replies[:3]
        return
    said = {card["body"][3]["text"] for card in cards}  # the line saying what happened, by whom
    assert len(said) == 1 and said.pop().startswith(("Declared INC-", "Dismissed by Bob Durand")), said
