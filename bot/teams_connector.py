"""Talking to Teams as the bot, proactively: new threads and personal chats, sends and updates, each paced
below Teams' per-conversation rate and retried as Teams asks (and bounded in time when it does not answer).

The calls go to the Bot Connector REST API directly (bot/connector_rest.py), with the request botbuilder's
``continue_conversation``/``create_conversation`` would send; a call still made through botbuilder (the
notifier's team details) fails with msrest's errors, which mean the same here."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.connector_rest import ConnectorAnswered, ConnectorRest
from incident.errors import NotificationFailed
from incident.model import Person

RETRIED_STATUSES = {412, 429, 502, 504}  # what Teams asks bots to retry
# An update or a lookup (PUT, GET) is also retried on these, as msrest's client did (urllib3 retried an
# idempotent request answered with a status outside msrest's "safe" codes: 408 and 5xx but 501 and 505).
RETRIED_WHEN_IDEMPOTENT = frozenset({408, *range(500, 600)}) - {501, 505}
ATTEMPTS = 4
CALL_TIMEOUT_SECONDS = 15.0
CHANNELS_TTL_SECONDS = 600
PER_CONVERSATION_INTERVAL = 1 / 7  # Teams allows about 7 messages per second per conversation


class _Pacer:
    """Keeps sends to one conversation below Teams' per-conversation rate."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, conversation_id: str) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(conversation_id, 0.0))
            self._next[conversation_id] = start + PER_CONVERSATION_INTERVAL
        if start > now:
            await asyncio.sleep(start - now)


def _status(error: ConnectorAnswered | HttpOperationError) -> int | None:
    if isinstance(error, ConnectorAnswered):
        return error.status
    return error.response.status_code if error.response is not None else None


def _retry_after(error: ConnectorAnswered | HttpOperationError, attempt: int) -> float:
    if isinstance(error, ConnectorAnswered):
        header = error.headers.get("Retry-After")
    else:
        header = error.response.headers.get("Retry-After") if error.response is not None else None
    delay: float = 0.5 * 2 ** attempt + random.uniform(0, 0.2)
    try:
        delay = min(30.0, float(str(header))) if header else delay
    except ValueError:
        pass
    return delay


class TeamsConnector:
    def __init__(self, *, adapter: Callable[[], Any], app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._rest = ConnectorRest(adapter, app_id)  # sends, updates, new conversations, channel lists
        self._pacer = _Pacer()
        self._channels: dict[str, tuple[float, list[tuple[str, str]]]] = {}

    @staticmethod
    def card_activity(card: dict[str, Any]) -> Activity:
        return MessageFactory.attachment(CardFactory.adaptive_card(card))

    async def team_channels(self, home: ConversationReference, team_id: str) -> list[tuple[str, str]]:
        """The team's channels as (id, name), looked up once every few minutes: they rarely change."""
        cached = self._channels.get(team_id)
        if cached and time.monotonic() - cached[0] < CHANNELS_TTL_SECONDS:
            return cached[1]
        answer = await self._with_retries(lambda: self._rest.get(
            home.service_url, f"v3/teams/{quote(team_id, safe='')}/conversations"), idempotent=True)
        # Teams leaves General unnamed
        found = [(str(c.get("id")), str(c.get("name") or "General")) for c in answer.get("conversations") or []]
        self._channels[team_id] = (time.monotonic(), found)
        return found

    @staticmethod
    def channel_id(channels: list[tuple[str, str]], name: str) -> str:
        for channel_id, channel_name in channels:
            if channel_name.casefold() == name.casefold() or channel_id == name:
                return channel_id
        known = ", ".join(n for _, n in channels)
        raise NotificationFailed(f"the team has no channel named '{name}' (it has: {known})")

    async def new_thread(self, home: ConversationReference, channel_id: str,
                          activity: Activity) -> tuple[ConversationReference, str]:
        """Post ``activity`` as the first message of a new thread in a channel."""
        parameters = ConversationParameters(
            is_group=True, channel_data={"channel": {"id": channel_id}}, activity=activity,
            bot=home.bot, tenant_id=home.conversation.tenant_id if home.conversation else None)
        await self._pacer.wait(channel_id)
        return await self._create_conversation(home, parameters)

    async def personal_chat(self, home: ConversationReference, person: Person, tenant: str) -> ConversationReference:
        """The bot's one-on-one chat with ``person`` in ``tenant`` (Teams makes it, or finds the one there is)."""
        if not person.id:
            raise NotificationFailed(f"{person.name} has no Teams id to start a personal chat with")
        parameters = ConversationParameters(
            is_group=False, members=[ChannelAccount(id=person.id, name=person.name)], bot=home.bot,
            tenant_id=tenant, channel_data={"tenant": {"id": tenant}} if tenant else None)
        reference, _ = await self._create_conversation(home, parameters)
        return reference

    async def _create_conversation(self, home: ConversationReference,
                                   parameters: ConversationParameters) -> tuple[ConversationReference, str]:
        reference, activity_id = await self._with_retries(
            lambda: self._rest.create_conversation(home.service_url, parameters, "msteams"))
        reference.bot = home.bot
        return reference, activity_id

    async def send(self, reference: ConversationReference, activity: Activity) -> str:
        await self._pacer.wait(reference.conversation.id)
        sent: str = await self._with_retries(lambda: self._rest.send(reference, activity))
        return sent

    async def update(self, reference: ConversationReference, activity_id: str, activity: Activity) -> None:
        activity.id = activity_id
        await self._pacer.wait(reference.conversation.id)
        await self._with_retries(lambda: self._rest.update(reference, activity), idempotent=True)

    async def aclose(self) -> None:
        """Closes the Bot Connector session (with the app)."""
        await self._rest.close()

    async def _with_retries(self, call: Callable[[], Awaitable[Any]], idempotent: bool = False) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                # A Teams that stops answering must not hold the email fallback back for minutes. A send
                # that Teams did take but answered too late may then appear twice: the lesser harm.
                return await asyncio.wait_for(call(), CALL_TIMEOUT_SECONDS)
            except (ConnectorAnswered, HttpOperationError) as error:
                status = _status(error)
                retried = RETRIED_STATUSES | (RETRIED_WHEN_IDEMPOTENT if idempotent else frozenset())
                if status not in retried or attempt == ATTEMPTS - 1:
                    # A 4xx other than throttling: Teams is up and refused this one (its conversation is gone).
                    refused = status is not None and 400 <= status < 500 and status not in retried
                    raise NotificationFailed(f"Teams answered {status}: {error}", refused=refused) from error
                await asyncio.sleep(_retry_after(error, attempt))
            # Connection refused, reset, DNS, a timeout: msrest's connector client wraps them all in
            # ClientRequestError, which is not an OSError; unretried, it also bypassed the email fallback.
            # aiohttp's (ClientError) likewise, a connection the server dropped unanswered twice included.
            except (OSError, ClientRequestError, aiohttp.ClientError) as error:
                if attempt == ATTEMPTS - 1:
                    raise NotificationFailed(f"Teams is unreachable: {error}") from error
                await asyncio.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")
