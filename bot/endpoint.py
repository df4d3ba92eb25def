"""The Bot Framework endpoint: authenticates an incoming activity and runs the bot on it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.core.bot_adapter import BotAdapter
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes, CallerIdConstants
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]

from adapters.openid_tokens import InvalidToken, OpenIdKeys
from bot.channel_tokens import TenantChannelTokens
from bot.connector_cost import ReusedConnectors, make_retry_policy_cheap
from bot.locale import Translator
from bot.references import tenant_of

log = logging.getLogger(__name__)

# Fields Teams puts in channelData that botbuilder's TeamsChannelData model does not declare: msrest warns
# about each on every activity, which said nothing anyone could act on.
TEAMS_CHANNEL_DATA_EXTRAS = frozenset({"teamsChannelId", "teamsTeamId"})


class QuietTeamsChannelData(logging.Filter):
    """Drops msrest's "not a known attribute" warning for those Teams fields only; every other stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (record.msg == "%s is not a known attribute of class %s and will be ignored"
                    and args[:1] and args[0] in TEAMS_CHANNEL_DATA_EXTRAS)


def quiet_teams_channel_data() -> None:
    """Idempotent: the filter is added to msrest's serialization logger once."""
    logger = logging.getLogger("msrest.serialization")
    if not any(isinstance(f, QuietTeamsChannelData) for f in logger.filters):
        logger.addFilter(QuietTeamsChannelData())
INVOKE_RESPONSE_KEY = BotAdapter._INVOKE_RESPONSE_KEY  # where botbuilder keeps a turn's invoke answer



@dataclass(frozen=True)
class BotResponse:
    status: int
    body: Any = None


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is and whom it serves; an empty app id turns authentication off.

    ``openid_metadata_url`` is where the keys that sign the channel's tokens are published; empty means Bot
    Framework's public cloud. Tests point it at a local provider; every other check stays the public cloud's.
    """

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    tenant_id: str = ""
    allowed_tenants: tuple[str, ...] = ()
    openid_metadata_url: str = ""


@dataclass(frozen=True)
class _AdapterConfiguration:
    """What ConfigurationBotFrameworkAuthentication reads. Setting any TO_*/OAUTH_URL/CALLER_ID value makes
    botbuilder use its parameterized authentication, which takes every value from here and has no defaults
    of its own: they are set together (see _public_cloud_validation) or not at all."""

    APP_ID: str
    APP_PASSWORD: str = field(repr=False)
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None
    VALIDATE_AUTHORITY: bool = True


def _public_cloud_validation(identity: BotIdentity) -> _AdapterConfiguration:
    """The public cloud's values, as botbuilder's built-in public-cloud authentication uses them, with only the
    channel's OpenID metadata URL taken from the identity when it has one."""
    return _AdapterConfiguration(
        identity.app_id, identity.app_password, identity.app_type, identity.tenant_id,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=(
            identity.openid_metadata_url or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL),
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        OAUTH_URL=AuthenticationConstants.OAUTH_URL,
        CALLER_ID=CallerIdConstants.public_azure_channel,
        VALIDATE_AUTHORITY=True,
    )


def _is_bearer(auth_header: str) -> bool:
    """The shape botbuilder validates ('Bearer <token>'); its parameterized authentication fails on any other
    header with an AttributeError instead of refusing it, so other shapes are refused before it runs."""
    scheme, _, token = auth_header.partition(" ")
    return scheme == "Bearer" and bool(token) and " " not in token


TeamsAdapter = CloudAdapter  # the type the composition root holds, named here so botbuilder stays inside bot/


def build_adapter(identity: BotIdentity) -> CloudAdapter:
    """The Bot Framework adapter of the identity: it validates incoming tokens and sends proactive messages.
    It needs no bot, so the notifier can send with it while the bot (which needs the bus) is built later."""
    if identity.app_id:
        configuration = _public_cloud_validation(identity)
    else:  # local Playground: no app id, no JWT
        configuration = _AdapterConfiguration("", "", "MultiTenant", "")
    make_retry_policy_cheap()  # botbuilder builds a connector client per service URL (ReusedConnectors)
    quiet_teams_channel_data()
    return CloudAdapter(ReusedConnectors(configuration))


class BotEndpoint:
    def __init__(self, identity: BotIdentity, bot: ActivityHandler, *, adapter: CloudAdapter | None = None,
                 tenant_keys: OpenIdKeys | None = None) -> None:
        """``adapter`` is ``build_adapter(identity)``'s, shared with the notifier (a new one when not given).
        ``tenant_keys`` are the keys of the bot's own tenant: with them (and an app id), channel tokens that
        tenant issued are accepted too (bot/channel_tokens.py)."""
        self._identity = identity
        self._tenant_tokens = (TenantChannelTokens(app_id=identity.app_id, tenant_id=identity.tenant_id,
                                                   keys=tenant_keys)
                               if identity.app_id and identity.tenant_id and tenant_keys is not None else None)
        self.adapter = adapter or build_adapter(identity)
        self.adapter.on_turn_error = self._on_turn_error
        self.bot = bot

    async def handle(self, body: dict[str, Any], auth_header: str) -> BotResponse:
        try:
            activity = Activity().deserialize(body)
        except (DeserializationError, ValueError, TypeError) as error:
            return BotResponse(400, {"error": f"the body is not a valid Bot Framework activity: {error}"[:300]})
        if not activity.type:
            return BotResponse(400, {"error": "the body is not a Bot Framework activity (no 'type')"})
        allowed = self._identity.allowed_tenants
        if allowed and tenant_of(activity) not in allowed:
            log.warning("refused an activity from tenant %r (not in the allow-list)", tenant_of(activity))
            return BotResponse(403, {"error": "this tenant is not allowed to use this bot"})
        try:
            if self._identity.app_id and not _is_bearer(auth_header):
                raise PermissionError("no 'Bearer <token>' Authorization header")
            authenticated = await self._authenticate(activity, auth_header)
        except Exception as error:
            # A malformed token fails inside PyJWT; botbuilder refuses an unendorsed key, a disallowed
            # algorithm ("none", HS256) or an unknown key id with a bare Exception or an AttributeError.
            # Nothing has run yet: whatever failed, the request is refused, never answered with a 500.
            log.warning("refused an activity with a missing or invalid Bot Framework token (%s%s)",
                        type(error).__name__, f": {error}" if isinstance(error, InvalidToken) else "")
            return BotResponse(401, {"error": "missing or invalid Bot Framework token"})
        invoke_response = await self.adapter.process_activity(authenticated, activity, self.bot.on_turn)
        if invoke_response is None:
            return BotResponse(200)
        return BotResponse(invoke_response.status, invoke_response.body)

    async def _authenticate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        authentication = self.adapter.bot_framework_authentication
        if self._tenant_tokens is not None and self._tenant_tokens.issued(auth_header):
            return await self._tenant_tokens.authenticate(activity, auth_header, authentication)
        return await authentication.authenticate_request(activity, auth_header)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        if _proactive(turn_context.activity):
            # A message the bot itself started (continue_conversation): its caller retries it, falls back to
            # email and logs what failed. Apologising into the conversation Teams just refused would either
            # fail again or, worse, succeed and hide the failure from that caller.
            raise error
        log.exception("the bot failed on a %s activity", turn_context.activity.type, exc_info=error)
        apology = Translator(turn_context.activity.locale)("reply.failure")
        if turn_context.activity.type == "invoke" and not turn_context.turn_state.get(INVOKE_RESPONSE_KEY):
            # Without an invoke answer botbuilder answers 501, which Teams shows as an error on the card
            # (e.g. storage was down before the turn reached the card action): the apology is the answer.
            await turn_context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(
                status=200, body={"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                  "value": apology})))
            return
        await turn_context.send_activity(apology)


def _proactive(activity: Activity) -> bool:
    """The activity botbuilder makes up for ``continue_conversation`` or ``create_conversation``, not one
    Teams sent (Teams sends no such events)."""
    return activity.type == ActivityTypes.event and activity.name in (
        ActivityEventNames.continue_conversation, ActivityEventNames.create_conversation)
