"""Channel tokens as Azure sends them to a single-tenant or managed-identity bot.

Bot Framework's own tokens (issuer ``https://api.botframework.com``) are validated by botbuilder. Since new
multi-tenant bots were stopped (2025-07-31), the channel also sends tokens issued by the bot's own Entra tenant
(``https://sts.windows.net/{tenant}/``, ``https://login.microsoftonline.com/{tenant}/v2.0``, signed with the
keys of that tenant's OpenID metadata), which botbuilder-python refuses; Microsoft's Agents SDK accepts them.
Those are validated here, with the same rules botbuilder applies to a channel token: the bot's app id as the
audience, the lifetime with five minutes of skew, and the ``serviceurl`` claim equal to the activity's
service URL (the bot sends its own token there, so it must be the one the channel vouched for).
"""

from __future__ import annotations

from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
)

from adapters.openid_tokens import (
    InvalidToken,
    OpenIdKeys,
    TokenRules,
    TokenValidator,
    entra_issuers,
    unverified_issuer,
)


class TenantChannelTokens:
    """Authenticates an activity whose token the bot's own tenant issued."""

    def __init__(self, *, app_id: str, tenant_id: str, keys: OpenIdKeys) -> None:
        self._validator = TokenValidator(keys, TokenRules(issuers=entra_issuers(tenant_id), audiences=(app_id,)))

    def issued(self, auth_header: str) -> bool:
        """Whether the header's token claims to come from the bot's tenant (unchecked: it picks the rules)."""
        _, _, token = auth_header.partition(" ")
        return unverified_issuer(token) in self._validator.rules.issuers

    async def authenticate(self, activity: Activity, auth_header: str,
                           authentication: BotFrameworkAuthentication) -> AuthenticateRequestResult:
        """What botbuilder's authenticate_request returns for a channel token; InvalidToken when refused."""
        _, _, token = auth_header.partition(" ")
        claims = await self._validator.claims(token)
        if not isinstance(claims.get("aud"), str):
            raise InvalidToken("the token's audience is not the bot alone")
        service_url = claims.get(AuthenticationConstants.SERVICE_URL_CLAIM)
        if not service_url:
            raise InvalidToken("the token has no 'serviceurl' claim")
        if service_url != activity.service_url:
            raise InvalidToken("the token's 'serviceurl' claim is not the activity's service URL")
        identity = ClaimsIdentity(claims, True)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = CallerIdConstants.public_azure_channel
        result.connector_factory = authentication.create_connector_factory(identity)
        return result
