"""One Table Storage account over plain aiohttp for the lean table client (``adapters.table_http``): the
signed request, azure-core's retry rules, its transport errors, the raw request/response hooks tests count
with, and a dependency span per request when a tracer is installed.

Retries follow azure-core's RetryPolicy as azure-data-tables configures it: connection errors and read
timeouts are retried for GET, PUT, DELETE (never POST or PATCH: the server may have acted), statuses 408, 429,
500, 502, 503, 504 (and a Retry-After) for those methods, 500, 503 and 504 for POST and PATCH too; at most
``retry_total`` retries, the first at once, then ``retry_backoff_factor * 2**(n-1)`` seconds capped at
``retry_backoff_max`` (or what Retry-After asks).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from azure.core.exceptions import (
    AzureError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from yarl import URL

from adapters.table_http_auth import Signer, http_date
from adapters.table_http_codec import Answer
from services import tracing_ports

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(506, 999))
_RETRY_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"})
API_VERSION = "2019-02-02"  # what azure-data-tables 12.7 sends
Hook = Callable[[Any], None]


class SentRequest:
    """What a raw_request_hook sees as ``.http_request`` (method, url, headers, body), as azure-core shows it."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: dict[str, str], body: str | None) -> None:
        self.method, self.url, self.headers, self.body = method, url, headers, body


class HookCall:
    """The argument of raw_request_hook (``.http_request``) and raw_response_hook (also ``.http_response``)."""

    __slots__ = ("http_request", "http_response")

    def __init__(self, http_request: SentRequest, http_response: Answer | None = None) -> None:
        self.http_request, self.http_response = http_request, http_response


class TableAccount:
    """The account's endpoint, signer, options and one aiohttp session (made inside the running loop on first use,
    shared by every table of the account, closed by ``close``)."""

    def __init__(self, endpoint: str, signer: Signer, options: Mapping[str, Any]) -> None:
        url = URL(endpoint.rstrip("/"))
        self.origin = str(url.origin())
        self.base_path = url.raw_path.rstrip("/")  # "/devstoreaccount1" on Azurite, "" on Azure
        self.base_url = self.origin + self.base_path
        self.host = url.host or ""
        self.signer = signer
        self.connection_timeout = float(options.get("connection_timeout", 300))
        self.read_timeout = float(options.get("read_timeout", 300))
        self.retry_total = int(options.get("retry_total", 10))
        self.backoff_factor = float(options.get("retry_backoff_factor", 0.8))
        self.backoff_max = float(options.get("retry_backoff_max", 120))
        self.trust_env = bool(options.get("use_env_settings", True))
        self._request_hook: Hook | None = options.get("raw_request_hook")
        self._response_hook: Hook | None = options.get("raw_response_hook")
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        """The session of the running event loop: a session made in another loop (a test's earlier loop, a
        CLI command's) cannot be used in this one, so a new one is made."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(sock_connect=self.connection_timeout, sock_read=self.read_timeout),
                trust_env=self.trust_env, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    async def send(self, method: str, path: str, *, query: str = "", body: str | None = None,
                   headers: Mapping[str, str] | None = None, retry_total: int | None = None) -> Answer:
        """Send with retries; the last answer (any status) or the transport error once retries are spent."""
        raw_path = self.base_path + path
        url = self.origin + raw_path + (f"?{query}" if query else "")
        counts = {"total": self.retry_total if retry_total is None else int(retry_total),
                  "connect": 3, "read": 3, "status": 3}
        history, renewed = 0, False
        while True:
            sent = {"x-ms-version": API_VERSION, "DataServiceVersion": "3.0", **(headers or {}),
                    "x-ms-client-request-id": str(uuid.uuid4()), "x-ms-date": http_date()}
            sent["Date"] = sent["x-ms-date"]
            await self.signer.authorize(method, raw_path, sent)
            try:
                answer = await self._attempt(method, url, sent, body, path)
            except AzureError as error:
                kind = "connect" if isinstance(error, ServiceRequestError) else "read"
                if method not in _RETRY_METHODS or not _spend(counts, kind):
                    raise
                history += 1
                await self._sleep(history, None)
                continue
            if answer.status_code == 401 and not renewed and self.signer.renew():
                renewed = True  # a token revoked or expired early: fetch a new one and send once more
                continue
            if answer.status_code < 400 or not self._retryable(method, answer, counts) or not _spend(counts, "status"):
                return answer
            history += 1
            await self._sleep(history, answer)

    @staticmethod
    def _retryable(method: str, answer: Answer, counts: dict[str, int]) -> bool:
        """azure-core's ``is_retry``: an answer with Retry-After is retried whatever the method (the service
        asks to be asked again: it did not act), else by method and status."""
        if answer.headers.get("Retry-After"):
            return True
        status = answer.status_code
        if not (method in _RETRY_METHODS or (method in ("POST", "PATCH") and status in (500, 503, 504))):
            return False
        return bool(counts["total"]) and status in _RETRY_STATUSES

    async def _sleep(self, history: int, answer: Answer | None) -> None:
        retry_after = retry_after_seconds(answer.headers) if answer is not None else None
        if retry_after:
            await asyncio.sleep(retry_after)
        elif history > 1:
            await asyncio.sleep(min(self.backoff_max, self.backoff_factor * 2 ** (history - 1)))

    async def _attempt(self, method: str, url: str, headers: dict[str, str], body: str | None,
                       path: str) -> Answer:
        request = SentRequest(method, url, headers, body) if self._request_hook or self._response_hook else None
        if self._request_hook is not None and request is not None:
            self._request_hook(HookCall(request))
        table = path.lstrip("/").split("(", 1)[0]
        with tracing_ports.dependency(f"{method} {table}", {
                "http.method": method, "http.url": f"{self.base_url}/{table}", "server.address": self.host,
                "az.table": table}) as span:
            answer = await self._exchange(method, url, headers, body)
            span.set("http.status_code", str(answer.status_code))
        answer.http_request = request
        if self._response_hook is not None:
            self._response_hook(HookCall(request or SentRequest(method, url, headers, body), answer))
        return answer

    async def _exchange(self, method: str, url: str, headers: dict[str, str], body: str | None) -> Answer:
        """One HTTP exchange; aiohttp's failures as azure-core's transport raises them."""
        try:
            async with self._session_now().request(method, URL(url, encoded=True), headers=headers,
                                                   data=body.encode("utf-8") if body is not None else None,
                                                   allow_redirects=False) as response:
                content = await response.read()
                return Answer(response.status, response.reason or "", response.headers, content)
        except aiohttp.ClientResponseError as error:
            raise ServiceResponseError(error, error=error) from error
        except aiohttp.ClientPayloadError as error:
            raise ServiceResponseError(error, error=error) from error
        except aiohttp.ConnectionTimeoutError as error:
            raise ServiceRequestTimeoutError(error, error=error) from error
        except TimeoutError as error:
            raise ServiceResponseTimeoutError(error, error=error) from error
        except aiohttp.ClientError as error:
            raise ServiceRequestError(error, error=error) from error


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """azure-core's ``get_retry_after``: Retry-After in seconds or as an HTTP date, else retry-after-ms or
    x-ms-retry-after-ms; None when absent or unreadable (then the backoff applies)."""
    from azure.core.pipeline.policies._utils import parse_retry_after

    for name, scale in (("Retry-After", 1.0), ("retry-after-ms", 1000.0), ("x-ms-retry-after-ms", 1000.0)):
        value = headers.get(name)
        if value:
            try:
                return parse_retry_after(value) / scale
            except (ValueError, TypeError, OverflowError):
                return None
    return None


def _spend(counts: dict[str, int], kind: str) -> bool:
    """azure-core's ``increment``: one retry of ``kind`` spent; False once a counter went below zero."""
    counts["total"] -= 1
    counts[kind] -= 1
    remaining = [c for c in counts.values() if c]
    return not remaining or min(remaining) >= 0
