"""The local Functions host: routes and schedules from the FunctionApp, timers fired on schedule."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import azure.functions as func
import pytest

from devopsbot import ncrontab
from devopsbot.local.host import (
    HostError,
    LocalHost,
    TimerFunction,
    aiohttp_path,
    discover,
    load_local_settings,
    registered_functions,
    route_prefix,
    run_timer,
)
from devopsbot.settings import ROOT
from tests.support.processes import free_port


def sample_app(calls: list[str]) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="items/{item_id:int}", methods=["GET"])
    async def item(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps({"id": req.route_params["item_id"], "q": req.params.get("q")}),
                                 mimetype="application/json")

    @app.route(route="echo", methods=["POST"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(req.get_body(), status_code=201, headers={"X-Echo": "yes"})

    @app.timer_trigger(schedule="%TICK_SCHEDULE%", arg_name="timer", run_on_startup=True)
    async def tick(timer: func.TimerRequest) -> None:
        calls.append(f"tick past_due={timer.past_due}")

    return app


def test_the_real_app_exposes_health_and_messages_under_api_and_the_due_work_timer() -> None:
    from function_app import app

    http, timers = discover(app, {}, route_prefix(ROOT / "host.json"))
    assert {(f.name, f.route, f.methods) for f in http} == {
        ("health", "/api/health", ("GET",)), ("messages", "/api/messages", ("POST",)),
        ("dashboard", "/api/dashboard", ("GET",)), ("dashboard_chart", "/api/dashboard/chart.svg", ("GET",)),
        ("playbook_version", "/api/playbooks/{service}/{version}", ("GET",)),
        ("incident_document", "/api/incidents/{id}/document", ("GET",)), ("act", "/api/act", ("GET", "POST")),
        ("privacy", "/api/privacy", ("GET",)), ("terms", "/api/terms", ("GET",)),
        ("alerts_in", "/api/alerts/{source}", ("POST",)), ("health_live", "/api/health/live", ("GET",)),
        ("health_ready", "/api/health/ready", ("GET",)), ("metrics", "/api/metrics", ("GET",)),
            ("subscribe", "/api/status/subscribe", ("POST",)),
            ("confirm_subscription", "/api/status/confirm", ("GET", "POST")),
            ("unsubscribe_link", "/api/status/unsubscribe", ("GET", "POST"))}
    assert [(t.name, str(t.schedule)) for t in timers] == [("due_work", "0 * * * * *"),
                                                           ("incoming_mail", "0 * * * * *"),
                                                           ("roster_report", "0 0 8 * * 1"),
                                                           ("weekly_digest", "0 0 8 * * 1"),
                                                           ("teams_service_health", "0 */5 * * * *")]


def test_routes_and_schedules_come_from_the_app_object() -> None:
    http, timers = discover(sample_app([]), {"TICK_SCHEDULE": "0 */5 * * * *"})
    assert sorted((f.route, f.methods) for f in http) == [("/api/echo", ("POST",)),
                                                          ("/api/items/{item_id}", ("GET",))]
    [timer] = timers
    assert (timer.name, str(timer.schedule), timer.run_on_startup) == ("tick", "0 */5 * * * *", True)


def test_a_schedule_naming_a_missing_setting_stops_the_host() -> None:
    with pytest.raises(HostError, match=r"timer 'tick'.*TICK_SCHEDULE"):
        discover(sample_app([]), {})


@pytest.mark.parametrize(("route", "path"), [
    ("health", "/api/health"), ("items/{id:int}", "/api/items/{id}"), ("files/{*rest}", "/api/files/{rest:.*}"),
    ("/x/{opt?}/", "/api/x/{opt}"),
])
def test_functions_route_templates_become_aiohttp_paths(route: str, path: str) -> None:
    assert aiohttp_path("api", route) == path


def test_local_settings_fill_the_environment_without_overriding_it(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"Values": {"A": "from file", "B": "from file"}}))
    environ = {"A": "from environment"}
    assert load_local_settings(path, environ) == ["B"]
    assert environ == {"A": "from environment", "B": "from file"}
    path.write_text("{broken")
    with pytest.raises(HostError, match="not valid JSON"):
        load_local_settings(path, {})


async def test_the_host_serves_http_functions_over_a_real_socket() -> None:
    port = free_port()
    host = LocalHost(sample_app([]), port=port, settings={"TICK_SCHEDULE": "0 0 0 1 1 *"})
    await host.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/api/items/7?q=abc") as response:
                assert response.status == 200
                assert await response.json() == {"id": "7", "q": "abc"}
            async with session.post(f"http://127.0.0.1:{port}/api/echo", data=b"hello") as response:
                assert (response.status, await response.read(), response.headers["X-Echo"]) == (201, b"hello", "yes")
            async with session.get(f"http://127.0.0.1:{port}/api/echo") as response:
                assert response.status == 405
    finally:
        await host.stop()


async def test_a_port_in_use_is_reported_by_name() -> None:
    port = free_port()
    first = LocalHost(sample_app([]), port=port, settings={"TICK_SCHEDULE": "0 0 0 1 1 *"})
    await first.start()
    try:
        second = LocalHost(sample_app([]), port=port, settings={"TICK_SCHEDULE": "0 0 0 1 1 *"})
        with pytest.raises(HostError, match=f"port {port} \\(local Functions host\\) is already in use"):
            await second.start()
    finally:
        await first.stop()


class TravellingClock:
    """Sleeping moves the clock instead of waiting, so schedules are checked without real time."""

    def __init__(self, start: datetime, stop: asyncio.Event, limit: datetime) -> None:
        self.at, self.stop, self.limit = start, stop, limit

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        if self.at >= self.limit:
            self.stop.set()


async def test_a_timer_fires_exactly_on_its_schedule() -> None:
    fired: list[datetime] = []
    stop = asyncio.Event()
    clock = TravellingClock(datetime(2026, 11, 27, 10, 2, 30, tzinfo=UTC), stop,
                            datetime(2026, 11, 27, 10, 16, tzinfo=UTC))

    def record(timer: func.TimerRequest) -> None:
        fired.append(clock.now())

    timer = TimerFunction("tick", ncrontab.parse("0 */5 * * * *"), False, record)
    await run_timer(timer, zone=None, stop=stop, now=clock.now, sleep=clock.sleep)
    assert [f"{t:%H:%M:%S}" for t in fired] == ["10:05:00", "10:10:00", "10:15:00"]


async def test_a_timer_runs_on_startup_and_an_overrunning_run_is_skipped_not_doubled() -> None:
    seen: list[tuple[str, bool]] = []
    stop = asyncio.Event()
    clock = TravellingClock(datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC), stop,
                            datetime(2026, 11, 27, 10, 2, 30, tzinfo=UTC))

    async def slow(timer: func.TimerRequest) -> None:
        seen.append((f"{clock.now():%H:%M:%S}", timer.past_due))
        clock.at += timedelta(seconds=70)  # this run overruns the next minute

    timer = TimerFunction("tick", ncrontab.parse("0 * * * * *"), True, slow)
    await run_timer(timer, zone=None, stop=stop, now=clock.now, sleep=clock.sleep)
    # Startup run at 10:00:30 overruns to 10:01:40: the 10:01 run is skipped, not doubled.
    assert seen == [("10:00:30", False), ("10:02:00", False)]


async def test_a_failing_timer_run_is_logged_and_the_schedule_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    stop = asyncio.Event()
    clock = TravellingClock(datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC), stop,
                            datetime(2026, 11, 27, 10, 2, 30, tzinfo=UTC))

    def failing(timer: func.TimerRequest) -> None:
        runs.append(1)
        raise RuntimeError("boom")

    await run_timer(TimerFunction("tick", ncrontab.parse("0 * * * * *"), False, failing), zone=None,
                    stop=stop, now=clock.now, sleep=clock.sleep)
    assert len(runs) == 2
    assert "timer 'tick' failed" in caplog.text


def test_each_app_is_indexed_once() -> None:
    app = sample_app([])
    assert registered_functions(app) is registered_functions(app)
