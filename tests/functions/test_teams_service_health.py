"""Microsoft 365 service health as a signal: the timer, called as the Functions host calls it, reads Teams'
service health issues from a strict Graph double, marks Teams down and back up, and mails the admin team."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.graph import GraphClient, MsalTokens
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident import commands
from services.ports import SERVICE_HEALTH, TeamsHealth
from tests.conftest import ALICE, BOB, unique_prefix
from tests.functions.conftest import built_function, request
from tests.support.graph import GraphDouble, IdentityDouble, running_graph, secret_identity

ADMINS = 'admin_team = [{ id = "29:ops", name = "Ops admins", email = "ops-admins@contoso.example" }]'
Build = Callable[..., Container]


@pytest.fixture
async def graph() -> AsyncIterator[GraphDouble]:
    async with running_graph() as double:
        yield double


@pytest.fixture
async def build(tmp_path: Path, graph: GraphDouble, clock: FixedClock) -> AsyncIterator[Build]:
    """Make a container the process-wide one: Graph on the double (unless ``graph=False``), in memory unless
    a storage connection string is given, the admin team mailed through a recording mailer."""
    organisation = tmp_path / "organisation.toml"
    source = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    organisation.write_text(source.replace("admin_team = []", ADMINS, 1), encoding="utf-8")
    built: list[Container] = []

    def make(*, with_graph: bool = True, storage: str = "memory") -> Container:
        client = None
        if with_graph:
            identity = IdentityDouble()
            client = GraphClient(MsalTokens(secret_identity(identity), http_client=identity), base_url=graph.url)
        container = Container(Settings(storage_connection_string=storage, organisation_file=organisation,
                                       table_prefix=unique_prefix()),
                              clock=clock, in_memory=storage == "memory", notifier=RecordingNotifier(),
                              mailer=RecordingMailer(), graph=client)
        bootstrap.reset_container(container)
        built.append(container)
        return container

    yield make
    bootstrap.reset_container(None)
    for container in built:
        await container.aclose()


async def run_timer() -> None:
    await built_function("teams_service_health")(SimpleNamespace(past_due=False))


def health_of(container: Container) -> TeamsHealth:
    assert container.dependencies.health is not None
    return container.dependencies.health


def mails(container: Container) -> list[Any]:
    assert isinstance(container.mailer, RecordingMailer)
    return container.mailer.sent


async def api_health() -> dict[str, Any]:
    response = await built_function("health")(request("GET", "health"))
    return dict(json.loads(response.get_body()))["teams"]


async def test_a_teams_interruption_marks_teams_down_and_mails_the_admins_once(build: Build, graph: GraphDouble,
                                                                               clock: FixedClock) -> None:
    container = build()
    graph.announce("TM500001", "serviceInterruption", title="Users can't send messages in Microsoft Teams")
    await run_timer()
    await run_timer()  # the next tick: nothing new to say

    status = await health_of(container).status(clock.now())
    assert (status.down, status.set_by, status.issue) == (True, SERVICE_HEALTH, "TM500001")
    assert "Users can't send messages in Microsoft Teams" in status.reason
    [mail] = mails(container)
    assert mail.to == ("ops-admins@contoso.example",)
    assert mail.subject == "Teams is down: Microsoft 365 service health TM500001"
    assert "every notification goes by email" in mail.text and "Users can't send messages" in mail.text


async def test_while_service_health_has_teams_down_email_carries_the_incident(build: Build, graph: GraphDouble,
                                                                              clock: FixedClock) -> None:
    container = build()
    graph.announce("TM500011", "serviceInterruption")
    await run_timer()
    await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE,
        roles={"commander": ALICE}, invitees=(BOB,), services=("checkout",)))
    await container.bus.drain()

    notifier = container.teams_notifier
    assert isinstance(notifier, RecordingNotifier) and notifier.calls == []  # Teams not even tried
    declared = [m for m in mails(container) if " declared: " in m.subject]
    assert {address for m in declared for address in m.to} >= {ALICE.email, BOB.email}


async def test_teams_is_marked_back_up_when_microsoft_resolves_the_issue(build: Build, graph: GraphDouble,
                                                                         clock: FixedClock) -> None:
    container = build()
    graph.announce("TM500002", "ServiceDegradation")
    await run_timer()
    graph.announce("TM500002", "RestoringService")  # still being restored: Teams stays down
    await run_timer()
    assert (await health_of(container).status(clock.now())).down

    graph.announce("TM500002", "ServiceRestored", resolved=True)
    await run_timer()
    await run_timer()

    assert not (await health_of(container).status(clock.now())).down
    assert [m.subject for m in mails(container)] == ["Teams is down: Microsoft 365 service health TM500002",
                                                     "Teams is back up: Microsoft 365 service health TM500002"]
    assert "cleared the flag it set" in mails(container)[1].text


async def test_advisories_and_other_services_leave_teams_up(build: Build, graph: GraphDouble,
                                                            clock: FixedClock) -> None:
    container = build()
    graph.announce("TM500003", "serviceDegradation", classification="Advisory")
    graph.announce("EX500004", "serviceInterruption", service="Exchange Online")
    graph.announce("TM500005", "investigating")
    await run_timer()

    assert not (await health_of(container).status(clock.now())).down
    assert mails(container) == []


async def test_a_persons_teams_down_is_never_overridden_nor_cleared(build: Build, graph: GraphDouble,
                                                                    clock: FixedClock) -> None:
    container = build()
    await health_of(container).set_down(clock.now(), "Dana Admin", "Teams is unusable here")
    graph.announce("TM500006", "serviceInterruption")
    await run_timer()
    graph.announce("TM500006", "serviceRestored", resolved=True)
    await run_timer()

    status = await health_of(container).status(clock.now())
    assert (status.down, status.set_by, status.issue) == (True, "Dana Admin", "")
    assert status.reason == "Teams is unusable here (set by Dana Admin)"
    [mail] = mails(container)  # told that Microsoft confirms it; never that Teams is back up
    assert mail.subject == "Teams is still down (flagged by a person): Microsoft 365 service health TM500006"
    assert "marked down by Dana Admin" in mail.text


async def test_a_person_clearing_the_flag_during_the_issue_is_believed(build: Build, graph: GraphDouble,
                                                                       clock: FixedClock) -> None:
    container = build()
    graph.announce("TM500007", "serviceInterruption")
    await run_timer()
    await health_of(container).set_up(clock.now(), "Dana Admin")
    await run_timer()

    assert not (await health_of(container).status(clock.now())).down
    assert len(mails(container)) == 1


async def test_api_health_says_what_marked_teams_down(build: Build, graph: GraphDouble, clock: FixedClock) -> None:
    container = build()
    assert (await api_health())["marked_down_by"] is None
    graph.announce("TM500008", "serviceInterruption")
    await run_timer()
    teams = await api_health()
    assert (teams["down"], teams["set_by_admin"]) == (True, False)
    assert teams["marked_down_by"] == {"kind": "service_health", "issue": "TM500008"}

    await health_of(container).set_down(clock.now(), "Dana Admin", "still broken for us")
    teams = await api_health()
    assert teams["set_by_admin"] is True
    assert teams["marked_down_by"] == {"kind": "person", "name": "Dana Admin"}


@pytest.mark.azurite
async def test_hosts_polling_at_once_mark_teams_down_once_and_mail_once(build: Build, graph: GraphDouble,
                                                                        azurite: str, clock: FixedClock) -> None:
    container = build(storage=azurite)
    graph.announce("TM500009", "serviceInterruption")
    await asyncio.gather(*(run_timer() for _ in range(5)))

    status = await health_of(container).status(clock.now())
    assert (status.down, status.issue) == (True, "TM500009")
    assert [m.subject for m in mails(container)] == ["Teams is down: Microsoft 365 service health TM500009"]


async def test_without_graph_the_timer_does_nothing_and_says_so_once(build: Build, clock: FixedClock,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    container = build(with_graph=False)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            await run_timer()

    said = [r.getMessage() for r in caplog.records if "service health is not watched" in r.getMessage()]
    assert len(said) == 1 and "DEVOPSBOT_GRAPH_AUTH" in said[0]
    assert not (await health_of(container).status(clock.now())).down and mails(container) == []


async def test_a_missing_permission_is_logged_and_changes_nothing(build: Build, graph: GraphDouble,
                                                                  clock: FixedClock,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    container = build()
    graph.service_health_granted = False
    graph.announce("TM500010", "serviceInterruption")
    with caplog.at_level(logging.WARNING):
        await run_timer()

    assert any("HTTP 403" in r.getMessage() and "ServiceHealth.Read.All" in r.getMessage() for r in caplog.records)
    assert not (await health_of(container).status(clock.now())).down and mails(container) == []
