"""A local double of the two trackers' REST APIs: Azure DevOps work items and GitHub issues."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.processes import serving


@dataclass
class TrackerRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class TrackerDouble:
    url: str = ""
    requests: list[TrackerRequest] = field(default_factory=list)
    failures: int = 0  # answer the next this many requests with 503

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/contoso/shop/_apis/wit/workitems/{type}", self._work_item)
        app.router.add_post("/repos/contoso/shop/issues", self._issue)
        return app

    async def _record(self, request: web.Request) -> web.Response | None:
        self.requests.append(TrackerRequest(request.path, dict(request.query), dict(request.headers),
                                            json.loads(await request.text())))
        if self.failures:
            self.failures -= 1
            return web.json_response({"message": "service unavailable"}, status=503)
        return None

    async def _work_item(self, request: web.Request) -> web.Response:
        failed = await self._record(request)
        number = len(self.requests)
        return failed or web.json_response({
            "id": number, "url": f"{self.url}/contoso/shop/_apis/wit/workItems/{number}",
            "_links": {"html": {"href": f"https://dev.azure.com/contoso/shop/_workitems/edit/{number}"}}})

    async def _issue(self, request: web.Request) -> web.Response:
        failed = await self._record(request)
        number = len(self.requests)
        return failed or web.json_response(
            {"number": number, "html_url": f"https://github.com/contoso/shop/issues/{number}"}, status=201)


@asynccontextmanager
async def running_tracker() -> AsyncIterator[TrackerDouble]:
    double = TrackerDouble()
    async with serving(double.app()) as url:
        double.url = url
        yield double
