"""GET /api/health/live and /api/health/ready, called directly: readiness reads the last timer tick's age,
and names a configuration mistake; liveness needs nothing at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from services.heartbeat import record_heartbeat
from tests.functions.conftest import built_function, request


@pytest.fixture
def reset() -> Iterator[None]:
    yield
    bootstrap.reset_container(None)


async def test_readiness_turns_red_when_the_timer_has_not_ticked_for_five_minutes(
        memory_container: Container, clock: FixedClock, reset: None) -> None:
    bootstrap.reset_container(memory_container)
    await record_heartbeat(memory_container.dependencies.state, clock.now(), 0, 0, 0)
    clock.at += timedelta(minutes=4)
    fresh = await built_function("health_ready")(request("GET", "health/ready"))
    assert fresh.status_code == 200
    assert json.loads(fresh.get_body())["timer"] == {"last_tick": (clock.at - timedelta(minutes=4)).isoformat(),
                                                     "age_seconds": 240, "stale": False}
    clock.at += timedelta(minutes=2)
    stale = await built_function("health_ready")(request("GET", "health/ready"))
    body = json.loads(stale.get_body())
    assert stale.status_code == 503 and body["status"] == "not ready" and body["timer"]["stale"] is True


async def test_readiness_names_a_configuration_mistake_and_liveness_stays_green(
        monkeypatch: pytest.MonkeyPatch, reset: None) -> None:
    bootstrap.reset_container(None)
    monkeypatch.setenv("DEVOPSBOT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    monkeypatch.setenv("DEVOPSBOT_TABEL_PREFIX", "oops")
    ready = await built_function("health_ready")(request("GET", "health/ready"))
    assert ready.status_code == 503
    assert "DEVOPSBOT_TABEL_PREFIX: unknown setting" in json.loads(ready.get_body())["configuration"]
    live = await built_function("health_live")(request("GET", "health/live"))
    assert live.status_code == 200 and json.loads(live.get_body()) == {"status": "live"}
