"""Many hosts, one store: N `python -m devopsbot serve` processes on one Azurite, as Functions scales out.

The hosts share everything a scaled-out app shares: the tables (through a counting proxy, so every host's
storage requests are attributed to their partitions), the Teams connector double, the SMTP server. Each
runs every timer, the due-work one on a schedule of its own (every ``tick`` seconds, host i at second
offset i), so ticks of different hosts overlap. A small round-robin front on 127.0.0.1 stands in for the
platform's load balancer: each request goes to the next host; a host that does not take the connection
(killed) is skipped, and a request that was under way on a host when it died is answered 502, which Teams
meets by sending the activity again.

Used by tests/integration/test_many_hosts.py and bench/multi_host.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.functions import conftest as activities
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.fault_proxy import HOP_BY_HOP
from tests.support.processes import ROOT, Service, free_port, health_ok, serving
from tests.support.smtp import Inbox, smtp_server
from tests.support.storage_count import StorageCount, counting_proxy

ALERT_SECRET = "many-hosts-generic-alert-secret"
MAIL_FROM = "incidents@contoso.example"


@dataclass
class Host:
    """One `python -m devopsbot serve` process of the fleet; ``start`` again after ``kill``."""

    index: int
    port: int
    settings: dict[str, str]
    log_dir: Path
    service: Service | None = None
    starts: int = 0

    async def start(self) -> None:
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")} | self.settings
        self.service = Service(f"host {self.index}", [sys.executable, "-m", "devopsbot", "serve", "--port",
                                                      str(self.port)],
                               self.log_dir / f"host-{self.index}-{self.starts}.log", env=env)
        self.service.port = self.port
        await until_healthy(self.service)

    @property
    def alive(self) -> bool:
        return self.service is not None and self.service.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a scaled-in or crashed instance dies: nothing is flushed, nothing finishes."""
        assert self.service is not None
        os.killpg(self.service.process.pid, signal.SIGKILL)
        self.service.process.wait()
        self.service.stop()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


async def until_healthy(service: Service, within: float = 90) -> None:
    """Wait (without blocking the loop that serves the doubles) until /api/health answers."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited ({service.process.returncode}):\n{service.tail()}")
        if await asyncio.to_thread(health_ok, service.port):
            return
        await asyncio.sleep(0.2)
    service.stop()
    raise RuntimeError(f"{service.name} not ready after {within} s:\n{service.tail()}")


@dataclass
class RoundRobinFront:
    """The platform's front door: each request to the next live host, in turn."""

    hosts: list[Host]
    url: str = ""
    answered_by: list[int] = field(default_factory=list)  # the host index of each forwarded request
    lost: int = 0  # requests whose host died before answering (502)
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _session: aiohttp.ClientSession | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for _ in range(len(self.hosts)):
            host = self.hosts[next(self._turn) % len(self.hosts)]
            try:
                async with self._session.request(request.method, f"http://127.0.0.1:{host.port}{request.path_qs}",
                                                 headers=headers, data=body or None) as answer:
                    content = await answer.read()
                    self.answered_by.append(host.index)
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, headers=kept, body=content)
            except aiohttp.ClientConnectorError:
                continue  # not listening (killed): the next host takes it
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                self.lost += 1  # it died with the request under way: the caller must send it again
                return web.Response(status=502, text="the instance went away")
        return web.Response(status=503, text="no instance is running")

    def app(self) -> web.Application:
        application = web.Application(client_max_size=8 * 1024 * 1024)
        application.router.add_route("*", "/{tail:.*}", self._handle)
        return application


@dataclass
class Fleet:
    hosts: list[Host]
    front: RoundRobinFront
    connector: ConnectorDouble
    inbox: Inbox
    storage: StorageCount  # every host's storage requests
    connection_string: str  # straight to Azurite, for the tests' own reads
    prefix: str

    @property
    def url(self) -> str:
        return self.front.url

    def host_cpu_seconds(self) -> float:
        """User plus system CPU of every host process so far (Linux /proc)."""
        total = 0.0
        for host in self.hosts:
            if host.alive and host.service is not None:
                stat = Path(f"/proc/{host.service.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return total

    async def run_due_work_everywhere(self, at: datetime) -> list[int]:
        """`python -m devopsbot timers --at AT` from every host's settings at once: the ticks of all hosts
        when the clock reaches ``at`` (work due minutes later, such as the outbox sweep, without waiting)."""
        async def one(host: Host) -> int:
            env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")} | host.settings
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "devopsbot", "timers", "--at", at.isoformat(), env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            return await process.wait()
        return list(await asyncio.gather(*(one(h) for h in self.hosts)))


def host_settings(index: int, *, storage: str, prefix: str, smtp_port: int, tick: int,
                  extra: Mapping[str, str]) -> dict[str, str]:
    return {"DEVOPSBOT_STORAGE_CONNECTION_STRING": storage, "DEVOPSBOT_TABLE_PREFIX": prefix,
            "DEVOPSBOT_MAIL_TRANSPORT": "smtp", "DEVOPSBOT_SMTP_HOST": "127.0.0.1",
            "DEVOPSBOT_SMTP_PORT": str(smtp_port), "DEVOPSBOT_MAIL_FROM": MAIL_FROM,
            # Every host ticks every `tick` seconds, host i at offset i: the hosts' ticks overlap.
            "DEVOPSBOT_TIMER_SCHEDULE": f"{index % tick}/{tick} * * * * *",
            "DEVOPSBOT_ALERT_SECRET_GENERIC": ALERT_SECRET, **extra}


def same_second_schedule(after: timedelta) -> tuple[str, datetime]:
    """An NCRONTAB schedule firing once a day at the second ``after`` from now (UTC), and that instant."""
    at = (datetime.now(UTC) + after).replace(microsecond=0)
    return f"{at.second} {at.minute} {at.hour} * * *", at


@asynccontextmanager
async def running_fleet(azurite: str, log_dir: Path, *, hosts: int = 3, prefix: str, tick: int = 2,
                        settings: Mapping[str, str] | None = None,
                        per_host: Callable[[int], Mapping[str, str]] | None = None) -> AsyncIterator[Fleet]:
    """``hosts`` serve processes on the Azurite of connection string ``azurite``, with their doubles and front.
    ``per_host(i)`` adds settings of host i alone (its own client secret, say) to ``settings``.
    Activities built with tests.functions.conftest's helpers carry the connector double's URL meanwhile."""
    async with AsyncExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        connector = await stack.enter_async_context(running_connector())
        previous_service_url = activities.SERVICE["url"]
        activities.SERVICE["url"] = connector.url
        stack.callback(activities.SERVICE.__setitem__, "url", previous_service_url)
        endpoint = azurite.split("TableEndpoint=", 1)[1].split(";", 1)[0].rstrip("/")  # http://host:port/account
        origin = endpoint.rsplit("/", 1)[0]
        storage = await stack.enter_async_context(counting_proxy(origin, prefix))
        proxied = azurite.replace(origin, storage.url)
        fleet_hosts = [Host(i, free_port(), host_settings(i, storage=proxied, prefix=prefix, smtp_port=inbox.port,
                                                          tick=tick, extra={**(settings or {}),
                                                                            **(per_host(i) if per_host else {})}),
                            log_dir)
                       for i in range(hosts)]
        for host in fleet_hosts:
            stack.callback(host.stop)
        await asyncio.gather(*(h.start() for h in fleet_hosts))
        front = RoundRobinFront(fleet_hosts)
        session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)))
        front._session = session
        front.url = await stack.enter_async_context(serving(front.app()))
        yield Fleet(fleet_hosts, front, connector, inbox, storage, azurite, prefix)


ALERT_SERVICES = ("checkout", "payments", "search", "identity", "mobile-api")


def alert_notification(n: int, services: int) -> tuple[bytes, dict[str, str]]:
    """Generic alert ``n`` (on one of the first ``services`` services), signed with the fleet's secret."""
    body = json.dumps({"id": f"fleet-alert-{n}", "summary": f"Fleet alert {n}", "severity": "high",
                       "service": ALERT_SERVICES[n % services], "started_at": "2026-11-27T10:00:00Z"}).encode()
    signature = "sha256=" + hmac.new(ALERT_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Devopsbot-Signature": signature, "Content-Type": "application/json"}


async def send_alerts(url: str, notifications: list[int], services: int, senders: int
                      ) -> list[tuple[int, float]]:
    """POST each alert of ``notifications`` (alert numbers) from ``senders`` concurrent senders: (status, s)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in notifications:
        queue.put_nowait(n)
    results: list[tuple[int, float]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders)) as session:
        async def sender() -> None:
            while not queue.empty():
                body, headers = alert_notification(queue.get_nowait(), services)
                started = time.perf_counter()
                async with session.post(f"{url}/api/alerts/generic", data=body, headers=headers) as answer:
                    await answer.read()
                    results.append((answer.status, time.perf_counter() - started))
        await asyncio.gather(*(sender() for _ in range(senders)))
    return results


def organisation_with_admin(directory: Path, admins: tuple[tuple[str, str], ...] = (("alice", "Alice Martin"),)
                            ) -> Path:
    """The shipped organisation file with an admin team (so the roster report has someone to mail, and mail
    from them is from people devopsbot knows): (login, name) each, mailing at login@contoso.example."""
    text = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    team = ", ".join(f'{{ id = "29:{login}", name = "{name}", email = "{login}@contoso.example" }}'
                     for login, name in admins)
    written = directory / "organisation.toml"
    written.write_text(text.replace("admin_team = []", f"admin_team = [{team}]", 1), encoding="utf-8")
    return written
