"""A small local Azure Functions host: serves the app's HTTP triggers and runs its timers.

Routes, methods and schedules are read from the ``FunctionApp`` object itself (never from a second
list), the route prefix from ``host.json``, settings from the environment and ``local.settings.json``
— the way the Functions host does it. Core Tools (``func start``) cannot be installed here.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import azure.functions as func
from aiohttp import web
from azure.functions.decorators.http import HttpTrigger
from azure.functions.decorators.timer import TimerTrigger
from azure.functions.decorators.warmup import WarmUpTrigger
from azure.functions.timer import TimerRequest

from devopsbot import ncrontab
from devopsbot.warmup_settings import background_enabled

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the repository: devopsbot/local/ is two levels down
MAX_REQUEST_BODY = 4 * 1024 * 1024
# The Functions host flags a timer run as past due when it starts this late.
PAST_DUE_AFTER = timedelta(seconds=5)


class HostError(Exception):
    """The local host cannot start; the message says why in one line."""


def load_local_settings(path: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Copy ``Values`` from local.settings.json into ``environ`` unless already set; returns names."""
    if not path.exists():
        return []
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    except (ValueError, AttributeError) as error:
        raise HostError(f"{path}: not valid JSON with a 'Values' object ({error})") from None
    applied = []
    for name, value in values.items():
        if name not in environ:
            environ[name] = str(value)
            applied.append(name)
    return applied


def route_prefix(host_json: Path) -> str:
    try:
        config = json.loads(host_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "api"
    return str(config.get("extensions", {}).get("http", {}).get("routePrefix", "api")).strip("/")


@dataclass(frozen=True)
class HttpFunction:
    name: str
    route: str  # an aiohttp path, prefix included
    methods: tuple[str, ...]
    handler: Callable[..., Any]


@dataclass(frozen=True)
class TimerFunction:
    name: str
    schedule: ncrontab.Schedule
    run_on_startup: bool
    handler: Callable[..., Any]


_CONSTRAINT = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)\??(?::[^}]*)?\}")


def aiohttp_path(prefix: str, route: str) -> str:
    """Functions route templates (``items/{id:int}``, ``{*rest}``) as aiohttp paths."""
    def convert(match: re.Match[str]) -> str:
        return f"{{{match.group(2)}:.*}}" if match.group(1) else f"{{{match.group(2)}}}"
    path = _CONSTRAINT.sub(convert, route.strip("/"))
    return "/" + "/".join(p for p in (prefix, path) if p)


_indexed: weakref.WeakKeyDictionary[func.FunctionApp, list[Any]] = weakref.WeakKeyDictionary()


def registered_functions(app: func.FunctionApp) -> list[Any]:
    """``app.get_functions()`` once per app: the SDK refuses to index the same app twice."""
    if app not in _indexed:
        _indexed[app] = list(app.get_functions())
    return _indexed[app]


def discover(app: func.FunctionApp, settings: Mapping[str, str], prefix: str = "api"
             ) -> tuple[list[HttpFunction], list[TimerFunction]]:
    """Every HTTP and timer trigger registered on ``app``; other trigger types are refused."""
    http: list[HttpFunction] = []
    timers: list[TimerFunction] = []
    for function in registered_functions(app):
        trigger = function.get_trigger()
        name = function.get_function_name() or "function"
        handler = function.get_user_function()
        if isinstance(trigger, HttpTrigger):
            route = trigger.route or name
            methods = tuple(str(getattr(m, "value", m)).upper() for m in (trigger.methods or [])) or (
                "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
            http.append(HttpFunction(name, aiohttp_path(prefix, route), methods, handler))
        elif isinstance(trigger, TimerTrigger):
            try:
                expression = ncrontab.resolve_app_setting(trigger.schedule, settings)
                schedule = ncrontab.parse(expression)
            except ncrontab.ScheduleError as error:
                raise HostError(f"timer '{name}': {error}") from None
            timers.append(TimerFunction(name, schedule, bool(trigger.run_on_startup), handler))
        elif isinstance(trigger, WarmUpTrigger):
            continue  # not a route nor a schedule: LocalHost.start calls it (warmup_functions)
        else:
            kind = trigger.type if trigger is not None else "missing trigger"
            raise HostError(f"function '{name}' uses a {kind}, which the local host cannot run")
    return http, timers


def warmup_functions(app: func.FunctionApp) -> list[Callable[..., Any]]:
    """The app's warmup trigger functions (Azure allows one), which the host calls as a new instance starts."""
    return [function.get_user_function() for function in registered_functions(app)
            if isinstance(function.get_trigger(), WarmUpTrigger)]


async def _call(handler: Callable[..., Any], argument: Any) -> Any:
    result = handler(argument)
    return await result if inspect.isawaitable(result) else result


def _http_handler(function: HttpFunction) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        req = func.HttpRequest(
            method=request.method, url=str(request.url), headers=dict(request.headers),
            params=dict(request.query), route_params=dict(request.match_info), body=body)
        try:
            response = await _call(function.handler, req)
        except Exception:  # the Functions host answers 500 too, and logs the failure
            log.exception("function '%s' failed", function.name)
            return web.json_response({"error": "internal error"}, status=500)
        headers = dict(response.headers)
        if response.mimetype and "content-type" not in {k.lower() for k in headers}:
            charset = f"; charset={response.charset}" if response.charset else ""
            headers["Content-Type"] = f"{response.mimetype}{charset}"
        return web.Response(status=response.status_code, body=response.get_body(), headers=headers)
    return handle


async def run_timer(timer: TimerFunction, *, zone: ZoneInfo | None, stop: asyncio.Event,
                    now: Callable[[], datetime] = lambda: datetime.now(UTC),
                    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Fire ``timer`` on its schedule until ``stop`` is set; runs never overlap, as in Azure."""
    if timer.run_on_startup and not stop.is_set():
        await _fire(timer, past_due=False)
    while not stop.is_set():
        due = timer.schedule.next_after(now(), zone)
        while not stop.is_set() and (wait := (due - now()).total_seconds()) > 0:
            await sleep(min(wait, 1.0))  # wake regularly so a stop request is honoured quickly
        if stop.is_set():
            return
        await _fire(timer, past_due=now() - due > PAST_DUE_AFTER)


async def _fire(timer: TimerFunction, *, past_due: bool) -> None:
    try:
        await _call(timer.handler, TimerRequest(past_due=past_due))
    except Exception:  # a failing run is logged; the schedule goes on, as in Azure
        log.exception("timer '%s' failed", timer.name)


async def _warm(handler: Callable[..., Any]) -> None:
    try:
        await _call(handler, func.warmup.WarmUpContext())
    except Exception:  # as in Azure: a failed warm-up is logged; requests build what they need
        log.exception("the warmup function failed")


class LocalHost:
    def __init__(self, app: func.FunctionApp, *, host: str = "127.0.0.1", port: int = 7071,
                 settings: Mapping[str, str] | None = None, root: Path = ROOT) -> None:
        settings = os.environ if settings is None else settings
        self.http, self.timers = discover(app, settings, route_prefix(root / "host.json"))
        # Called in the background once the port is open, as Azure calls them before traffic on scale-out.
        self.warmups = warmup_functions(app) if background_enabled(settings) else []
        self.warm_tasks: list[asyncio.Task[None]] = []
        zone_name = settings.get("WEBSITE_TIME_ZONE", "")
        self.zone = ZoneInfo(zone_name) if zone_name else None
        self.host, self.port = host, port
        self._stop = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._timer_tasks: list[asyncio.Task[None]] = []

    def web_app(self) -> web.Application:
        application = web.Application(client_max_size=MAX_REQUEST_BODY)
        for function in self.http:
            for method in function.methods:
                application.router.add_route(method, function.route, _http_handler(function))
        return application

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise HostError(f"port {self.port} (local Functions host) is already in use or not "
                            f"available on {self.host}: {error.strerror}") from None
        self._timer_tasks = [asyncio.create_task(run_timer(t, zone=self.zone, stop=self._stop))
                             for t in self.timers]
        self.warm_tasks = [asyncio.create_task(_warm(handler)) for handler in self.warmups]

    def describe(self) -> list[str]:
        base = f"http://{self.host}:{self.port}"
        lines = [f"  {','.join(f.methods)} {base}{f.route}  ({f.name})" for f in self.http]
        lines += [f"  timer '{t.name}' on '{t.schedule}'" for t in self.timers]
        return lines

    async def stop(self) -> None:
        self._stop.set()
        for task in self._timer_tasks + self.warm_tasks:
            task.cancel()
        await asyncio.gather(*self._timer_tasks, *self.warm_tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
