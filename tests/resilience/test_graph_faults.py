"""Microsoft Graph throttling (429 with Retry-After) while incident channels are opened: waited out within
bounds, one channel per incident; throttled past the bounds, the incident still gets a thread, not both."""

from __future__ import annotations

import pytest

from tests.functions.test_graph_spaces import declare
from tests.support.connector import ConnectorDouble
from tests.support.graph import GraphDouble

CHANNELS = "/teams/group-1/channels"


def channel_requests(graph: GraphDouble) -> int:
    return sum(r.path == CHANNELS for r in graph.requests)


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_a_throttled_channel_creation_is_retried_and_opens_one_channel(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    graph.throttled, graph.retry_after = 3, "2"
    answer = await declare()
    assert answer["value"]["body"][0]["text"].startswith("Declared INC-2026-0001")
    assert channel_requests(graph) == 4  # three throttled, then the one that opened it
    threads = [s.conversation_id.split(";")[0] for s in connector.messages("thread")]
    assert sorted(threads) == sorted(["19:channel1@thread.tacv2", "channel-broadcast"])


@pytest.mark.parametrize("space_mode", ["channel"], indirect=True)
async def test_throttling_past_the_retries_gives_the_incident_a_thread_instead_and_nothing_twice(
        space_mode: str, graph: GraphDouble, connector: ConnectorDouble) -> None:
    graph.throttled, graph.retry_after = 50, "2"
    await declare()
    assert channel_requests(graph) == 5  # the first try and four retries: bounded
    threads = [s.conversation_id.split(";")[0] for s in connector.messages("thread")]
    assert sorted(threads) == ["channel-broadcast", "team-id"]
