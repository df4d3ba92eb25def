"""The proactive Teams calls as devopsbot made them through botbuilder before bot/connector_rest.py (its
``continue_conversation``/``create_conversation`` turns, TeamsInfo's client): what the direct calls must
keep sending (tests/functions/test_connector_rest.py compares the two on the Bot Connector double)."""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference

from incident.people import Person


class BotbuilderPath:
    """TeamsConnector's calls as botbuilder makes them, without pacing, caching or retries."""

    def __init__(self, adapter: Any, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id

    async def team_channels(self, home: ConversationReference, team_id: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []

        async def look_up(turn_context: TurnContext) -> None:
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            result = await asyncio.to_thread(client.teams.get_teams_channels, team_id)
            found.extend((c.id, c.name or "General") for c in result.conversations or [])

        await self._adapter.continue_conversation(home, look_up, self._app_id)
        return found

    async def new_thread(self, home: ConversationReference, channel_id: str,
                         activity: Activity) -> tuple[ConversationReference, str]:
        return await self._create(home, ConversationParameters(
            is_group=True, channel_data={"channel": {"id": channel_id}}, activity=activity, bot=home.bot,
            tenant_id=home.conversation.tenant_id))

    async def personal_chat(self, home: ConversationReference, person: Person, tenant: str) -> ConversationReference:
        reference, _ = await self._create(home, ConversationParameters(
            is_group=False, members=[ChannelAccount(id=person.id, name=person.name)], bot=home.bot,
            tenant_id=tenant, channel_data={"tenant": {"id": tenant}}))
        return reference

    async def _create(self, home: ConversationReference,
                      parameters: ConversationParameters) -> tuple[ConversationReference, str]:
        result: dict[str, Any] = {}

        async def created(turn_context: TurnContext) -> None:
            result["reference"] = TurnContext.get_conversation_reference(turn_context.activity)
            result["activity_id"] = turn_context.activity.id

        await self._adapter.create_conversation(self._app_id, created, parameters, "msteams", home.service_url, None)
        reference: ConversationReference = result["reference"]
        reference.bot = home.bot
        return reference, str(result["activity_id"] or "")

    async def send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: dict[str, str] = {}

        async def send(turn_context: TurnContext) -> None:
            response = await turn_context.send_activity(activity)
            sent["id"] = response.id if response is not None and response.id else ""

        await self._adapter.continue_conversation(reference, send, self._app_id)
        return sent.get("id", "")

    async def update(self, reference: ConversationReference, activity_id: str, activity: Activity) -> None:
        activity.id = activity_id

        async def update(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._adapter.continue_conversation(reference, update, self._app_id)
