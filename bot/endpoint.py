"""The Bot Framework endpoint: authenticates an incoming activity and runs the bot on it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from jwt import PyJWTError

from bot.turn_handler import DevOpsBot

log = logging.getLogger(__name__)

FRIENDLY_FAILURE = ("Sorry, something went wrong on my side and nothing was changed. "
                    "Please try again in a minute; if it keeps failing, follow the manual process.")


@dataclass(frozen=True)
class BotResponse:
    status: int
    body: Any = None


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is and whom it serves; an empty app id turns authentication off."""

    app_id: str = ""
    app_password: str = ""
    app_type: str = "SingleTenant"
    tenant_id: str = ""
    allowed_tenants: tuple[str, ...] = ()


@dataclass(frozen=True)
class _AdapterConfiguration:
    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def _tenant_of(activity: Activity) -> str:
    if activity.conversation is not None and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    tenant = (activity.channel_data or {}).get("tenant", {}) if isinstance(activity.channel_data, dict) else {}
    return str(tenant.get("id", ""))


class BotEndpoint:
    def __init__(self, identity: BotIdentity, bot: ActivityHandler | None = None) -> None:
        self._identity = identity
        if identity.app_id:
            configuration = _AdapterConfiguration(
                identity.app_id, identity.app_password, identity.app_type, identity.tenant_id)
        else:  # local Playground: no app id, no JWT
            configuration = _AdapterConfiguration("", "", "MultiTenant", "")
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
        self.adapter.on_turn_error = self._on_turn_error
        self.bot = bot or DevOpsBot()

    async def handle(self, body: dict[str, Any], auth_header: str) -> BotResponse:
        activity = Activity().deserialize(body)
        if not activity.type:
            return BotResponse(400, {"error": "the body is not a Bot Framework activity (no 'type')"})
        allowed = self._identity.allowed_tenants
        if allowed and _tenant_of(activity) not in allowed:
            log.warning("refused an activity from tenant %r (not in the allow-list)", _tenant_of(activity))
            return BotResponse(403, {"error": "this tenant is not allowed to use this bot"})
        try:
            invoke_response = await self.adapter.process_activity(auth_header, activity, self.bot.on_turn)
        except (PermissionError, PyJWTError):  # a malformed token fails inside PyJWT
            log.warning("refused an activity with a missing or invalid Bot Framework token")
            return BotResponse(401, {"error": "missing or invalid Bot Framework token"})
        if invoke_response is None:
            return BotResponse(200)
        return BotResponse(invoke_response.status, invoke_response.body)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        log.exception("the bot failed on a %s activity", turn_context.activity.type, exc_info=error)
        await turn_context.send_activity(FRIENDLY_FAILURE)
