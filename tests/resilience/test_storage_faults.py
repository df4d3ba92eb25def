"""Table Storage answering 503, hanging, or losing its answers for a while, behind a fault-injecting proxy.

The storage client runs with the production retry policy but shorter timeouts, so the suite stays fast; the
production bounds themselves are checked from the client's configuration (no test measures wall-clock time).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import STORAGE_CLIENT_OPTIONS, Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from tests.conftest import unique_prefix
from tests.functions.conftest import teams_invoke
from tests.support.connector import ConnectorDouble
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.storm import INCIDENT_ID, declaration_form, post_activity, served_app

pytestmark = pytest.mark.azurite
TEAMS_REDELIVERS_AFTER = 15.0  # seconds Teams waits for an answer before sending the activity again
FAILURE = "Sorry, something went wrong on my side."
OUTBOX_CATCH_UP = timedelta(minutes=11)  # the outbox sweep is due 5 to 10 minutes after a save
FAST = {"connection_timeout": 0.5, "read_timeout": 0.5, "retry_backoff_factor": 0.02}


class Bot:
    """The app on Azurite behind ``proxy``, served over HTTP, Teams on the connector double."""

    def __init__(self, proxy: FaultProxy, container: Container, connector: ConnectorDouble, url: str,
                 session: aiohttp.ClientSession, clock: FixedClock) -> None:
        self.proxy, self.container, self.connector, self.url, self.session = proxy, container, connector, url, session
        self.clock = clock

    async def deliver(self, activity: dict[str, Any]) -> tuple[int, Any]:
        answer = await post_activity(self.session, self.url, activity)
        return answer

    async def settle(self) -> None:
        """Storage is well again and the background work (spaces, announcements) has been done."""
        self.proxy.clear()
        await self.container.bus.drain()

    async def titles(self) -> list[str]:
        return sorted(i.title for i in await self.container.dependencies.incidents.list_open())

    async def catch_up(self) -> None:
        """What the due-work timer does once the outbox sweep is due: whatever a lost answer left untold."""
        await self.container.bus.drain()
        self.clock.at += OUTBOX_CATCH_UP
        await run_tick(self.container.bus, self.clock.at)

    def announcements(self) -> list[str]:
        return [found for s in self.connector.messages("thread") if s.conversation_id.startswith("channel-broadcast;")
                for found in set(INCIDENT_ID.findall(str(s.activity)))]


@pytest.fixture
async def bot(azurite: str, policy: OrganisationPolicy, clock: FixedClock,
              connector: ConnectorDouble) -> AsyncIterator[Bot]:
    endpoint = azurite.split("TableEndpoint=")[1].split(";")[0]
    target = endpoint.rsplit("/", 1)[0]
    async with fault_proxy(target) as proxy:
        through_proxy = azurite.replace(target, proxy.url)
        container = Container(Settings(storage_connection_string=through_proxy, table_prefix=unique_prefix()),
                              policy=policy, clock=clock, table_client_options=FAST)
        bootstrap.reset_container(container)
        try:
            async with served_app() as url, aiohttp.ClientSession() as session:
                bot = Bot(proxy, container, connector, url, session, clock)
                await bot.deliver(teams_invoke("incident.refresh", {"incident_id": "INC-2026-9999"}))  # tables exist
                yield bot
        finally:
            proxy.clear()
            bootstrap.reset_container(None)
            await container.aclose()


def worst_case_seconds(options: dict[str, Any]) -> float:
    """The longest one storage request can take under ``options``: every attempt connects as slowly and then
    waits as long as allowed, and azure-core backs off ``factor * 2**(n-1)`` before the n-th retry after
    the first (capped), the first retry at once."""
    attempts = 1 + int(options["retry_total"])
    backoff = sum(min(float(options["retry_backoff_max"]), float(options["retry_backoff_factor"]) * 2 ** n)
                  for n in range(1, attempts - 1))
    return float(attempts * (options["connection_timeout"] + options["read_timeout"]) + backoff)


def test_a_storage_request_gives_up_before_teams_redelivers_the_activity() -> None:
    assert worst_case_seconds(STORAGE_CLIENT_OPTIONS) < TEAMS_REDELIVERS_AFTER


async def test_the_storage_client_is_built_with_the_bounded_retry_policy(policy: OrganisationPolicy) -> None:
    from azure.core.pipeline.policies import AsyncRetryPolicy
    from azure.data.tables.aio import TableServiceClient

    container = Container(Settings(storage_connection_string="UseDevelopmentStorage=true"), policy=policy)
    service = container.store.service
    assert isinstance(service, TableServiceClient)
    pipeline: Any = service._client._client._pipeline  # azure-core keeps the policies it runs here
    [policy_in_use] = [p for p in pipeline._impl_policies if isinstance(p, AsyncRetryPolicy)]
    assert policy_in_use.total_retries == STORAGE_CLIENT_OPTIONS["retry_total"]
    assert policy_in_use.backoff_factor == STORAGE_CLIENT_OPTIONS["retry_backoff_factor"]
    config = pipeline._transport.connection_config
    assert (config.timeout, config.read_timeout) == (STORAGE_CLIENT_OPTIONS["connection_timeout"],
                                                     STORAGE_CLIENT_OPTIONS["read_timeout"])
    await container.aclose()


async def test_a_brief_burst_of_503s_is_retried_and_the_declaration_goes_through(bot: Bot) -> None:
    bot.proxy.fail("unavailable", requests=2)
    status, answer = await bot.deliver(teams_invoke("declare.submit", declaration_form(1)))
    await bot.settle()
    assert status == 200 and answer["value"]["body"][0]["text"].startswith("Declared INC-")
    assert bot.proxy.seen["unavailable"] == 2
    assert await bot.titles() == ["storm outage 000001"]
    assert len(bot.announcements()) == 1


@pytest.mark.parametrize("mode", ["unavailable", "hang"])
async def test_during_an_outage_the_user_is_answered_politely_and_nothing_is_half_stored(bot: Bot, mode: str) -> None:
    bot.proxy.fail(mode)
    status, answer = await bot.deliver(teams_invoke("declare.submit", declaration_form(2)))
    await bot.settle()
    assert status == 200
    assert answer["value"].startswith(FAILURE)
    assert "Traceback" not in json.dumps(answer) and "Error" not in json.dumps(answer)
    assert await bot.titles() == []
    assert bot.announcements() == []


@pytest.mark.parametrize("mode", ["unavailable", "hang"])
async def test_when_the_outage_is_over_teams_redelivery_declares_once(bot: Bot, mode: str) -> None:
    activity = teams_invoke("declare.submit", declaration_form(3))
    bot.proxy.fail(mode)
    await bot.deliver(activity)
    bot.proxy.clear()
    status, answer = await bot.deliver(activity)  # Teams sends it again, with the same activity id
    again_status, _ = await bot.deliver(activity)
    await bot.settle()
    assert (status, again_status) == (200, 200)
    assert answer["value"]["body"][0]["text"].startswith("Declared INC-")
    assert await bot.titles() == ["storm outage 000003"]
    assert len(bot.announcements()) == 1


@pytest.mark.parametrize("after", range(0, 20))
async def test_a_write_stored_whose_answer_was_lost_neither_doubles_nor_blocks_the_declaration(
        bot: Bot, after: int) -> None:
    # The after-th storage request of the declaration reaches storage, but its answer never comes back.
    # The person is told something went wrong and clicks again (a new activity, the same form); Teams may
    # also redeliver the first activity.
    first = teams_invoke("declare.submit", declaration_form(10 + after))
    bot.proxy.fail("lose_answer", requests=1, after=after)
    first_status, _ = await bot.deliver(first)
    await bot.settle()
    again_status, again = await bot.deliver({**first, "id": f"{first['id']}-again"})
    redelivered_status, _ = await bot.deliver(first)
    await bot.catch_up()
    assert (first_status, again_status, redelivered_status) == (200, 200, 200)
    [incident] = await bot.container.dependencies.incidents.list_open()
    assert incident.title == f"storm outage {10 + after:06d}"
    assert again["value"]["body"][0]["text"].startswith(f"Declared {incident.id}:"), again
    assert bot.announcements() == [incident.id]
