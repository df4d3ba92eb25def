"""The real local host, on a real Azurite: /api/metrics is Prometheus text whose figures move as the app
works (the timer's heartbeat, a refused alert), and /api/health/ready goes red when Azurite stops and green
when it returns, while /api/health/live stays green."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devopsbot.local.stack import azurite_connection_string
from services.telemetry_ports import METRICS
from tests.conftest import unique_prefix
from tests.support.processes import ROOT, Service, devopsbot_host, free_port, port_open
from tests.support.prometheus_text import parse, value

pytestmark = pytest.mark.azurite


class Azurite:
    """Azurite keeping its tables on disk, so it can be stopped and started again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port, self.service = directory, free_port(), None
        self.start()

    def start(self) -> None:
        binary = ROOT / "node_modules" / ".bin" / "azurite-table"
        self.service = Service("Azurite", [str(binary), "--tableHost", "127.0.0.1", "--tablePort", str(self.port),
                                           "--location", str(self.directory), "--disableTelemetry"],
                               self.directory / "azurite.log")
        self.service.wait_until(lambda: port_open(self.port))

    def stop(self) -> None:
        """Ctrl-C, as a person stops it: Azurite writes its tables to disk on SIGINT (not on SIGTERM)."""
        assert self.service is not None
        os.killpg(self.service.process.pid, signal.SIGINT)
        self.service.process.wait(timeout=20)
        self.service.stop()


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    running = Azurite(tmp_path_factory.mktemp("azurite-on-disk"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with devopsbot_host(tmp_path_factory.mktemp("observed-host"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite_connection_string(azurite.port),
            "DEVOPSBOT_TABLE_PREFIX": unique_prefix(),
            "DEVOPSBOT_TIMER_SCHEDULE": "*/2 * * * * *"}) as running:  # a tick every 2 s: heartbeats to see
        yield running


def get(host: Service, path: str, method: str = "GET") -> tuple[int, bytes, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{host.port}{path}", method=method, data=b"{}"
                                     if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - http://127.0.0.1 only
            return int(response.status), response.read(), str(response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(), str(error.headers.get("Content-Type", ""))


def eventually(check: Callable[[], bool], timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def scrape(host: Service) -> dict[str, object]:
    status, body, content_type = get(host, "/api/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    return parse(body.decode("utf-8"))  # type: ignore[return-value]


def test_metrics_are_prometheus_text_naming_every_promise_and_they_move(host: Service) -> None:
    families = scrape(host)
    assert {m.name for m in METRICS} <= set(families)
    assert eventually(lambda: value(scrape(host), "devopsbot_heartbeats_total") >= 2)  # type: ignore[arg-type]
    assert value(scrape(host), "devopsbot_last_tick_timestamp_seconds") > time.time() - 60  # type: ignore[arg-type]
    status, _, _ = get(host, "/api/alerts/generic", "POST")  # no secret is configured: refused
    assert status == 401
    after = scrape(host)
    assert value(after, "devopsbot_alerts_refused_total", source="generic") == 1  # type: ignore[arg-type]


def test_readiness_is_red_while_azurite_is_stopped_and_green_when_it_returns(host: Service,
                                                                              azurite: Azurite) -> None:
    def ready() -> int:
        return get(host, "/api/health/ready")[0]

    def ticked() -> bool:
        return json.loads(get(host, "/api/health/ready")[1])["timer"]["last_tick"] is not None

    assert eventually(ticked)
    body = json.loads(get(host, "/api/health/ready")[1])
    assert body["status"] == "ready" and body["timer"]["stale"] is False
    assert body["teams"] == {"down": False, "marked_down_by": None}
    azurite.stop()
    try:
        assert eventually(lambda: ready() == 503)
        down = json.loads(get(host, "/api/health/ready")[1])
        assert down["status"] == "not ready" and down["storage"]["reachable"] is False
        assert get(host, "/api/health/live")[0] == 200  # the process is up: no restart is called for
    finally:
        azurite.start()
    assert eventually(lambda: ready() == 200), get(host, "/api/health/ready")[1]
    assert get(host, "/api/health")[0] == 200
