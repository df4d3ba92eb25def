"""A fault-injecting HTTP proxy (aiohttp) to put in front of a local service such as Azurite.

It forwards every request unchanged until told to misbehave for a while:

- ``unavailable``: answer 503 Server Busy without forwarding (the request never reaches the service);
- ``hang``: hold the request without forwarding, as a service that stopped answering does;
- ``lose_answer``: forward the request (the service acts on it), then hold the answer back, so the caller
  times out not knowing its write was stored.

A fault lasts for a number of requests (``requests=``) or until ``clear()``. The proxy counts what it saw.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from yarl import URL

from tests.support.processes import serving

MODES = ("unavailable", "hang", "lose_answer")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass
class FaultProxy:
    target: str  # the real service, e.g. http://127.0.0.1:10002
    url: str = ""
    mode: str = ""  # "" forwards everything
    remaining: int | None = None  # requests the fault still applies to; None: until clear()
    passing: int = 0  # requests still forwarded untouched before the fault starts
    seen: Counter[str] = field(default_factory=Counter)  # "forwarded", "unavailable", "hang", "lose_answer"
    requests: list[str] = field(default_factory=list)  # "METHOD /path (fault)", in order, for diagnosis
    _cleared: asyncio.Event = field(default_factory=asyncio.Event)
    _session: aiohttp.ClientSession | None = None

    def fail(self, mode: str, *, requests: int | None = None, after: int = 0) -> None:
        """Misbehave (``mode``) for ``requests`` requests (None: until ``clear()``), after ``after`` good ones."""
        if mode not in MODES:
            raise ValueError(f"unknown fault {mode!r}; one of {MODES}")
        self.mode, self.remaining, self.passing = mode, requests, after
        self._cleared = asyncio.Event()

    def clear(self) -> None:
        self.mode, self.remaining, self.passing = "", None, 0
        self._cleared.set()  # held requests are released (their callers have long given up)

    @property
    def faults(self) -> int:
        return sum(n for kind, n in self.seen.items() if kind != "forwarded")

    def _next_fault(self) -> str:
        if not self.mode:
            return ""
        if self.passing:
            self.passing -= 1
            return ""
        mode = self.mode
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.mode, self.remaining = "", None
        return mode

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self._next_fault()
        self.seen[fault or "forwarded"] += 1
        self.requests.append(f"{request.method} {request.path} ({fault or 'forwarded'})")
        if fault == "unavailable":
            return web.Response(status=503, reason="Server Busy", headers={"x-ms-error-code": "ServerBusy"},
                                text="The server is currently unable to receive requests. Please retry.")
        if fault == "hang":
            await self._cleared.wait()
            return web.Response(status=503, reason="Server Busy")
        answer = await self._forward(request)
        if fault == "lose_answer":
            await self._cleared.wait()
        return answer

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        # The path exactly as sent (quotes, parentheses): storage's signature covers it.
        target = URL(f"{self.target}{request.raw_path}", encoded=True)
        body = await request.read()
        # Nothing added: storage's signature covers the content type, which aiohttp would otherwise set.
        async with self._session.request(request.method, target, headers=headers, data=body or None,
                                         skip_auto_headers=("Content-Type",), allow_redirects=False) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, reason=answer.reason, headers=kept, body=body)

    def app(self) -> web.Application:
        application = web.Application(client_max_size=8 * 1024 * 1024)
        application.router.add_route("*", "/{tail:.*}", self._handle)
        return application


@asynccontextmanager
async def fault_proxy(target: str, *, kind: type[FaultProxy] = FaultProxy) -> AsyncIterator[FaultProxy]:
    proxy = kind(target)
    # No decompression: the bytes go back exactly as the service sent them.
    async with aiohttp.ClientSession(auto_decompress=False) as session, serving(proxy.app()) as url:
        proxy._session, proxy.url = session, url
        try:
            yield proxy
        finally:
            proxy.clear()
