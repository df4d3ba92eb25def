"""Proactive calls to the Bot Connector REST API over one aiohttp session, as botbuilder makes them.

botbuilder's ``continue_conversation``/``create_conversation`` build a turn for each proactive message (a
TurnContext, claims, the middleware pipeline) and send it with msrest on ``requests`` in a worker thread:
1.5 to 2 ms of CPU per call, against about 0.3 ms for the request itself (docs/capacity.md, "CPU per
declaration"). The calls here send the same request — URL, method, JSON body and Authorization — directly:

- the activity is serialized as the Bot Connector client botbuilder would use (``ReusedConnectors``' client
  for the bot and service URL, with its ``PlainJsonSerializer``) serializes it (bot/activity_json.py), then
  addressed as ``TurnContext`` does for a proactive turn: from the bot to the reference's user in its
  conversation, ``replyToId`` the made-up continuation activity's id (a fresh uuid1, as
  ``get_continuation_activity`` makes), ``locale`` removed;
- the Authorization header is the one that client's credentials set (``signed_session``): MSAL's cached
  token for the bot's app id, tenant and audience, none when no app id is configured (the Playground);
- a conversation made is referred to as ``CloudAdapterBase.create_conversation`` refers to it.

A POST the server dropped unanswered — a kept-alive connection it had already closed (the Agents
Playground closes idle ones after 5 s) — is sent again once, as ``StaleConnectionRetry`` does for msrest.
A timeout is never resent here (the message may have been posted); TeamsConnector bounds and retries calls.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.schema import ConversationAccount, ConversationParameters, ConversationReference
from yarl import URL

from bot.activity_json import model_json

SENT_STATUSES = (200, 201, 202)  # what the Bot Connector client accepts for a send, an update, a new conversation
STALE_ERRNOS = (errno.ECONNRESET, errno.EPIPE)
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class ConnectorAnswered(Exception):
    """The Bot Connector answered with a status the call does not accept."""

    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        super().__init__(text[:300] or f"status {status}")
        self.status = status
        self.headers = headers


def _closed_unanswered(error: aiohttp.ClientError) -> bool:
    """The server dropped the connection before its answer began (``connector_cost._closed_unanswered``'s
    twin for aiohttp); a failed connect is not this (nothing was sent: TeamsConnector retries it)."""
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return True
    return (isinstance(error, aiohttp.ClientOSError) and not isinstance(error, aiohttp.ClientConnectorError)
            and error.errno in STALE_ERRNOS)


def _path(*parts: str) -> str:
    """A Bot Connector path, each id quoted as msrest quotes a URL parameter (nothing left unquoted)."""
    return "/".join(quote(part, safe="") for part in parts)


class ConnectorRest:
    """The Bot Connector calls TeamsConnector makes, for the bot ``app_id`` of ``adapter()``."""

    def __init__(self, adapter: Any, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, reference: ConversationReference, activity: Any) -> str:
        """``turn_context.send_activity`` in ``continue_conversation``: the new message's id ("" when none)."""
        client = await self._client(reference.service_url)
        reply_to = str(uuid.uuid1())  # the continuation activity's id, which botbuilder replies to
        body = self._addressed(client, model_json(client._serialize, activity, "Activity"), reference, reply_to)
        body.setdefault("type", "message")
        body.setdefault("inputHint", "acceptingInput")
        body.pop("id", None)
        conversation_id = reference.conversation.id
        answer = await self._call(client, "POST", f"v3/conversations/{_path(conversation_id, 'activities', reply_to)}",
                                  body, {"x-ms-conversation-id": conversation_id})
        return str(answer.get("id") or "")

    async def update(self, reference: ConversationReference, activity: Any) -> None:
        """``turn_context.update_activity`` in ``continue_conversation``: ``activity.id`` is replaced."""
        client = await self._client(reference.service_url)
        body = model_json(client._serialize, activity, "Activity")
        body = self._addressed(client, body, reference, str(uuid.uuid1()))
        path = _path(reference.conversation.id, "activities", activity.id)
        await self._call(client, "PUT", f"v3/conversations/{path}", body)

    async def create_conversation(self, service_url: str, parameters: ConversationParameters,
                                  channel_id: str) -> tuple[ConversationReference, str]:
        """``create_conversation``: the reference its callback's turn would give, and the first activity's id."""
        client = await self._client(service_url)
        answer = await self._call(client, "POST", "v3/conversations",
                                  model_json(client._serialize, parameters, "ConversationParameters"))
        activity_id = str(answer.get("activityId") or uuid.uuid4())
        reference = ConversationReference(
            activity_id=activity_id, bot=parameters.bot, channel_id=channel_id, service_url=service_url,
            conversation=ConversationAccount(id=answer.get("id"), tenant_id=parameters.tenant_id))
        return reference, activity_id

    async def get(self, service_url: str, path: str) -> dict[str, Any]:
        client = await self._client(service_url)
        return await self._call(client, "GET", path, None, statuses=(200,))

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()

    async def _client(self, service_url: str) -> Any:
        """The Bot Connector client botbuilder would use for this bot and service URL (ReusedConnectors')."""
        adapter = self._adapter()
        claims = adapter.create_claims_identity(self._app_id)
        factory = adapter.bot_framework_authentication.create_connector_factory(claims)
        return await factory.create(service_url, None)

    @staticmethod
    def _addressed(client: Any, body: dict[str, Any], reference: ConversationReference,
                   reply_to: str) -> dict[str, Any]:
        """``TurnContext.apply_conversation_reference`` of the continuation turn's reference, on the JSON."""
        def serialize(model: Any, kind: str) -> dict[str, Any]:
            return model_json(client._serialize, model, kind)

        fields = {"channelId": reference.channel_id, "serviceUrl": reference.service_url,
                  "conversation": reference.conversation and serialize(reference.conversation, "ConversationAccount"),
                  "from": reference.bot and serialize(reference.bot, "ChannelAccount"),
                  "recipient": reference.user and serialize(reference.user, "ChannelAccount"),
                  "replyToId": reply_to, "locale": None}
        for key, value in fields.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def _session_now(self) -> aiohttp.ClientSession:
        """One session per event loop, made in the running loop on first use (tests run one loop each)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # Proxy variables are honoured as msrest honoured them; read only when one is set (aiohttp's
            # trust_env looks up the proxy settings and ~/.netrc again for every request).
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None),
                                                  trust_env=any(os.environ.get(name) for name in PROXY_VARIABLES))
            self._loop = loop
        return self._session

    async def _call(self, client: Any, method: str, path: str, body: dict[str, Any] | None,
                    headers: dict[str, str] | None = None,
                    statuses: tuple[int, ...] = SENT_STATUSES) -> dict[str, Any]:
        signed = SimpleNamespace(headers={"Accept": "application/json", **(headers or {})})
        client.config.credentials.signed_session(signed)  # sets or removes Authorization, as for msrest
        data = None
        if body is not None:
            signed.headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(body).encode()
        url = URL(f"{client.config.base_url.rstrip('/')}/{path}", encoded=True)  # quoted as msrest quotes
        for attempt in range(2):
            try:
                async with self._session_now().request(method, url, data=data, headers=signed.headers) as response:
                    text = await response.text()
                    if response.status not in statuses:
                        raise ConnectorAnswered(response.status, dict(response.headers), text)
                    found = json.loads(text) if text.strip() else {}
                    return found if isinstance(found, dict) else {}
            except aiohttp.ClientError as error:
                if attempt or not _closed_unanswered(error):
                    raise
        raise AssertionError("unreachable")
