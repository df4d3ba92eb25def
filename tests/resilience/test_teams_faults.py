"""Teams throttling (429 with Retry-After) and failing (500) while incidents are declared: the bot retries
within bounds, and after the fault clears every space and announcement is there, none doubled."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from services.timers import run_tick
from tests.functions.conftest import built_function, request, teams_invoke
from tests.support.connector import ConnectorDouble
from tests.support.storm import INCIDENT_ID, declaration_form

# Failed reactions are due again within minutes (due work, the outbox sweep), with a growing backoff; after
# repeated failures Teams is held for down for ten minutes. Four ticks eleven minutes apart see all of it.
RETRIED_LATER = timedelta(minutes=11)
TICKS = 4
# Only so a regression fails instead of hanging the suite (botbuilder's lookups wait 100 s a try); the
# outcome asserted is the answer itself, not its time.
HANG_GUARD_SECONDS = 60


async def declare(n: int) -> str:
    response = await built_function("messages")(request("POST", "messages", teams_invoke(
        "declare.submit", declaration_form(n, prefix="teams"))))
    assert response.status_code == 200
    [incident_id] = set(INCIDENT_ID.findall(response.get_body().decode()))
    return str(incident_id)


def threads(connector: ConnectorDouble, channel: str) -> list[str]:
    return [i for s in connector.messages("thread") if s.conversation_id.startswith(f"{channel};")
            for i in set(INCIDENT_ID.findall(json.dumps(s.activity)))]


def told_once(connector: ConnectorDouble, incident_id: str) -> None:
    assert threads(connector, "channel-broadcast") == [incident_id], "announced once"
    assert threads(connector, "team-id") == [incident_id], "one space"
    in_space = [json.dumps(s.activity) for s in connector.messages("message")
                if s.conversation_id.startswith("team-id;")]
    assert sum('"plan.tick"' in posted for posted in in_space) == 1, "the response plan posted once"
    assert sum(f"Incident {incident_id} is declared." in posted for posted in in_space) == 1, "the invitation, once"


async def catch_up(container: Container, clock: FixedClock) -> None:
    """The fault has cleared: the timer runs on as it would, and finishes what was left."""
    await container.bus.drain()
    for _ in range(TICKS):
        clock.at += RETRIED_LATER
        await run_tick(container.bus, clock.at)


async def test_throttling_with_retry_after_is_waited_out_and_each_thing_is_posted_once(
        installed: Container, connector: ConnectorDouble) -> None:
    connector.failures, connector.retry_after = [429, 429], "1"
    incident_id = await declare(1)
    await installed.bus.drain()
    assert connector.failures == []  # both throttled answers were met, and waited out
    told_once(connector, incident_id)


async def test_throttling_longer_than_the_retries_is_finished_by_the_timer_once_it_clears(
        installed: Container, connector: ConnectorDouble, clock: FixedClock) -> None:
    connector.failures, connector.retry_after = [429] * 50, "0"
    incident_id = await declare(2)
    await installed.bus.drain()
    assert threads(connector, "channel-broadcast") == []  # nothing got through while Teams throttled
    connector.failures = []
    await catch_up(installed, clock)
    told_once(connector, incident_id)


@pytest.mark.parametrize("failures", [[500], [500] * 6, [502, 504, 500]])
async def test_teams_server_errors_leave_nothing_missing_or_doubled_once_they_clear(
        installed: Container, connector: ConnectorDouble, clock: FixedClock, failures: list[int]) -> None:
    connector.failures = list(failures)
    incident_id = await declare(3)
    await installed.bus.drain()
    connector.failures = []
    await catch_up(installed, clock)
    await catch_up(installed, clock)  # later ticks find nothing left to do
    told_once(connector, incident_id)


async def test_a_card_update_that_teams_refused_is_redone_with_the_current_state(
        installed: Container, connector: ConnectorDouble, clock: FixedClock) -> None:
    incident_id = await declare(4)
    await installed.bus.drain()
    connector.failures = [500] * 3
    await built_function("messages")(request("POST", "messages", teams_invoke(
        "incident.update", {"incident_id": incident_id, "text": "Rolled back"})))
    await installed.bus.drain()
    connector.failures = []
    await catch_up(installed, clock)
    updates: list[Any] = [s for s in connector.messages("update") if s.conversation_id.startswith("team-id;")]
    assert updates and "Rolled back" in json.dumps(updates[-1].activity)


async def test_a_declaration_is_answered_while_teams_has_stopped_answering_and_told_once_it_answers(
        installed: Container, connector: ConnectorDouble) -> None:
    connector.hang()
    try:
        incident_id = await asyncio.wait_for(declare(5), HANG_GUARD_SECONDS)
    finally:
        connector.release()
    await installed.bus.drain()
    told_once(connector, incident_id)


async def test_a_refused_proactive_message_is_retried_not_apologised_for_in_the_channel(
        installed: Container, connector: ConnectorDouble, clock: FixedClock) -> None:
    from bot.locale import Translator

    incident_id = await declare(5)
    await installed.bus.drain()
    before = len(connector.sent)
    connector.failures = [400]  # Teams refuses the next card update once (a 400 is not retried at once)
    await built_function("messages")(request("POST", "messages", teams_invoke(
        "incident.update", {"incident_id": incident_id, "text": "Rolled back"})))
    await installed.bus.drain()
    apology = Translator("en")("reply.failure")
    assert not [s for s in connector.sent[before:] if apology in json.dumps(s.activity, ensure_ascii=False)]
    await catch_up(installed, clock)  # the refused update was a failure its caller saw: it is done again
    updates: list[Any] = [s for s in connector.messages("update") if s.conversation_id.startswith("team-id;")]
    assert updates and "Rolled back" in json.dumps(updates[-1].activity)


async def alert_until_told(installed: Container, incident_id: str, times: int) -> int:
    """The stale-incident alert in the incident's space ``times`` times (each a proactive message that can fail,
    as a timer's would); how many failed."""
    from incident.errors import NotificationFailed
    from services.ports import Alert

    incident = await installed.dependencies.incidents.get(incident_id)
    failed = 0
    for n in range(times):
        try:
            await installed.dependencies.notifier.alert(incident, Alert("stale", (), {"days": str(n + 1)}))
        except NotificationFailed:
            failed += 1
    return failed


@pytest.mark.parametrize("refusal", [404, 403])
async def test_messages_teams_refuses_do_not_mark_teams_down(
        installed: Container, connector: ConnectorDouble, clock: FixedClock, refusal: int) -> None:
    """A conversation that is gone (404) or a message refused (403) is Teams answering: it is retried and
    mailed as any failure, but no sign that Teams is down, so everything else still goes to Teams first."""
    incident_id = await declare(6)
    await installed.bus.drain()
    connector.failures = [refusal] * 8  # more than DEVOPSBOT_TEAMS_DOWN_AFTER (5) failures
    assert await alert_until_told(installed, incident_id, 8) == 8
    health = installed.dependencies.health
    assert health is not None
    status = await health.status(clock.now())
    assert (status.down, status.recent_failures) == (False, 0)


async def test_teams_failing_to_answer_still_marks_teams_down(
        installed: Container, connector: ConnectorDouble, clock: FixedClock) -> None:
    incident_id = await declare(7)
    await installed.bus.drain()
    connector.failures = [500] * 8
    assert await alert_until_told(installed, incident_id, 8) == 8
    health = installed.dependencies.health
    assert health is not None
    assert (await health.status(clock.now())).down
