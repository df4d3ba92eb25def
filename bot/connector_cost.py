"""Fixes for CPU costs botbuilder pays on every turn and every proactive message.

msrest's ``ClientRetryPolicy.__init__`` computes its retry codes as ``[i for i in range(999) if i not in
self.safe_codes]`` with ``safe_codes`` a 500-item list: half a million comparisons, about 6 ms of CPU per
client. In a declaration storm that was two thirds of the process's CPU time (bench/declaration_storm.py).
The same codes as a frozenset give the same retry codes in microseconds.

botbuilder also builds a new Bot Connector client (and a token client) for every turn and every proactive
message: msrest configuration, a pipeline and, since each client's HTTP session dies with it, a new TCP and
TLS connection per call. ``ReusedConnectors`` keeps one client per bot, service URL and audience instead,
with a serializer that passes a card through as it is (``PlainJsonSerializer``).
Concurrent calls on one client share its requests session from executor threads: urllib3's pool is
thread-safe and keeps up to 10 connections per host (beyond that, a call opens a connection of its own and
drops it afterwards, as every call did before), and nothing botbuilder does per turn changes the client;
its credentials set the same Authorization header on every request.
"""

from __future__ import annotations

import http.client
from collections import OrderedDict
from typing import Any, Self

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
)
from botframework.connector.auth.user_token_client import UserTokenClient
from msrest import Serializer
from msrest.universal_http.requests import ClientRetryPolicy
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

# Service URLs are a handful per cloud region; the bound only keeps a stream of forged ones (possible when
# no app id is configured, so nothing checks the token's serviceurl claim) from growing the cache.
MAX_CLIENTS = 32


def _closed_unanswered(error: Exception | None) -> bool:
    """The server dropped the connection before its answer began: a kept-alive connection it had already
    closed (Node, the Agents Playground's server, closes idle ones after 5 s; Teams' front ends also do).
    It shows as a hang-up without a byte, or as a reset when our request reached a socket being closed.
    urllib3 asks its Retry only before an answer's headers arrive, so a reset mid-answer never gets here."""
    return isinstance(error, ProtocolError) and any(
        isinstance(a, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError) for a in error.args)


class StaleConnectionRetry(Retry):
    """urllib3 2 no longer retries a POST after a read error (msrest's ``method_whitelist`` is ignored), so a
    message sent on a connection the server had just closed failed the turn. A POST is sent again only when
    the server dropped the connection before answering; a timeout is never retried (the message may have
    been posted and the answer be slow)."""

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Self:
        if method == "POST" and _closed_unanswered(error):
            method = "PUT"  # retried as urllib3 retries an idempotent method, with the same counters
        return super().increment(method, url, response, error, _pool, _stacktrace)


_original_policy_init = ClientRetryPolicy.__init__


def _policy_init(self: ClientRetryPolicy) -> None:
    _original_policy_init(self)  # type: ignore[no-untyped-call]
    old = self.policy
    backoff_max = getattr(old, "BACKOFF_MAX", Retry.DEFAULT_BACKOFF_MAX)
    self.policy = StaleConnectionRetry(total=old.total, connect=old.connect, read=old.read,
                                       backoff_factor=old.backoff_factor, backoff_max=backoff_max,
                                       status_forcelist=old.status_forcelist)
    self.policy.BACKOFF_MAX = backoff_max  # type: ignore[attr-defined]  # msrest uses its urllib3 1 name


def make_retry_policy_cheap() -> None:
    """Idempotent; the retry codes msrest derives are unchanged (a test compares them). Also makes msrest's
    policy send a POST again on a connection the server closed unanswered (``StaleConnectionRetry``)."""
    codes: object = ClientRetryPolicy.safe_codes
    if not isinstance(codes, frozenset):
        # Typed as a list by msrest; only ``in`` is ever asked of it.
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
    if ClientRetryPolicy.__init__ is not _policy_init:
        ClientRetryPolicy.__init__ = _policy_init  # type: ignore[method-assign]


def _bot_of(claims: ClaimsIdentity | None) -> str:
    """The bot's app id in a turn's claims, as botbuilder reads it (audience, else appid); "" when anonymous."""
    if claims is None:
        return ""
    found = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if found is None:
        found = claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(found or "")


class _Clients:
    """At most MAX_CLIENTS values by key, the least recently used dropped first."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, ...], Any] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> Any:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[str, ...], value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > MAX_CLIENTS:
            self._items.popitem(last=False)


PLAIN_DEPTH = 32  # deeper than any card; a deeper value is left to msrest
_PLAIN_LEAVES = (str, int, float, bool, type(None))


def _plain_json(value: object, depth: int = 0) -> bool:
    """A tree of dicts with string keys, lists, strings, numbers, booleans and nulls, each of exactly those
    types (as json.loads makes a card): msrest's serialization of it is an equal copy of it."""
    kind = type(value)
    if kind in _PLAIN_LEAVES:
        return True
    if depth >= PLAIN_DEPTH:
        return False
    if kind is dict:
        return all(type(k) is str and _plain_json(v, depth + 1) for k, v in value.items())  # type: ignore[attr-defined]
    if kind is list:
        return all(_plain_json(v, depth + 1) for v in value)  # type: ignore[attr-defined]
    return False


class PlainJsonSerializer(Serializer):
    """msrest's serializer, except that a value of plain JSON (an Adaptive Card, an activity's ``value``) is
    passed as it is: msrest copies it value by value, about 0.6 ms of CPU for an incident card and a third of
    a proactive message's serialization (bench/declaration_storm.py). Anything else is msrest's to do."""

    def serialize_object(self, attr: Any, **kwargs: Any) -> Any:
        if _plain_json(attr):
            return attr
        return super().serialize_object(attr, **kwargs)  # type: ignore[no-untyped-call]  # msrest is untyped


def serialize_cards_cheaply(client: ConnectorClient) -> ConnectorClient:
    """The client's operations with a ``PlainJsonSerializer`` of the same models."""
    serializer = PlainJsonSerializer(client._serialize.dependencies)  # type: ignore[no-untyped-call]
    client._serialize = serializer
    for operations in (client.conversations, client.attachments):
        operations._serialize = serializer
    return client


class _ReusingFactory(ConnectorFactory):
    """Hands out the client made earlier for the same bot, service URL and audience."""

    def __init__(self, inner: ConnectorFactory, app_id: str, clients: _Clients) -> None:
        self._inner = inner
        self._app_id = app_id
        self._clients = clients

    async def create(self, service_url: str, audience: str = "") -> ConnectorClient:
        key = ("connector", self._app_id, service_url or "", audience or "")
        client = self._clients.get(key)
        if client is None:
            client = serialize_cards_cheaply(await self._inner.create(service_url, audience))
            self._clients.put(key, client)
        return client


class ReusedConnectors(ConfigurationBotFrameworkAuthentication):
    """Bot Framework authentication whose connector and token clients are made once and reused."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._clients = _Clients()

    def _reusing(self, factory: ConnectorFactory, claims: ClaimsIdentity | None) -> ConnectorFactory:
        return _ReusingFactory(factory, _bot_of(claims), self._clients)

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self._reusing(result.connector_factory, result.claims_identity)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._reusing(super().create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = ("token", _bot_of(claims_identity))
        client = self._clients.get(key)
        if client is None:
            client = await super().create_user_token_client(claims_identity)
            self._clients.put(key, client)
        return client
