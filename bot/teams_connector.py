"""Talking to Teams as the bot, proactively: new threads and personal chats, sends and updates, each paced
below Teams' per-conversation rate and retried as Teams asks (and bounded in time when it does not answer)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from incident.errors import NotificationFailed
from incident.model import Person

RETRIED_STATUSES = {412, 429, 502, 504}  # what Teams asks bots to retry
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


def _retry_after(error: HttpOperationError, attempt: int) -> float:
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
        found: list[tuple[str, str]] = []

        async def look_up(turn_context: TurnContext) -> None:
            # botbuilder's Teams client is synchronous: run it off the event loop.
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            result = await asyncio.to_thread(client.teams.get_teams_channels, team_id)
            for channel in result.conversations or []:
                found.append((channel.id, channel.name or "General"))  # Teams leaves General unnamed

        await self._with_retries(lambda: self._adapter().continue_conversation(home, look_up, self._app_id))
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
        result: dict[str, Any] = {}

        async def created(turn_context: TurnContext) -> None:
            result["reference"] = TurnContext.get_conversation_reference(turn_context.activity)
            result["activity_id"] = turn_context.activity.id

        await self._with_retries(lambda: self._adapter().create_conversation(
            self._app_id, created, parameters, "msteams", home.service_url, None))
        reference: ConversationReference = result["reference"]
        reference.bot = home.bot
        return reference, str(result["activity_id"] or "")

    async def send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: dict[str, str] = {}

        async def send(turn_context: TurnContext) -> None:
            response = await turn_context.send_activity(activity)
            sent["id"] = response.id if response is not None and response.id else ""

        await self._pacer.wait(reference.conversation.id)
        await self._with_retries(lambda: self._adapter().continue_conversation(reference, send, self._app_id))
        return sent.get("id", "")

    async def update(self, reference: ConversationReference, activity_id: str, activity: Activity) -> None:
        activity.id = activity_id

        async def update(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._pacer.wait(reference.conversation.id)
        await self._with_retries(lambda: self._adapter().continue_conversation(reference, update, self._app_id))

    async def _with_retries(self, call: Callable[[], Awaitable[Any]]) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                # A Teams that stops answering must not hold the email fallback back for minutes. A send
                # that Teams did take but answered too late may then appear twice: the lesser harm.
                return await asyncio.wait_for(call(), CALL_TIMEOUT_SECONDS)
            except HttpOperationError as error:
                status = error.response.status_code if error.response is not None else None
                if status not in RETRIED_STATUSES or attempt == ATTEMPTS - 1:
                    # A 4xx other than throttling: Teams is up and refused this one (its conversation is gone).
                    refused = status is not None and 400 <= status < 500 and status not in RETRIED_STATUSES
                    raise NotificationFailed(f"Teams answered {status}: {error}", refused=refused) from error
                await asyncio.sleep(_retry_after(error, attempt))
            # Connection refused, reset, DNS, a timeout: msrest's connector client wraps them all in
            # ClientRequestError, which is not an OSError; unretried, it also bypassed the email fallback.
            except (OSError, ClientRequestError) as error:
                if attempt == ATTEMPTS - 1:
                    raise NotificationFailed(f"Teams is unreachable: {error}") from error
                await asyncio.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")
