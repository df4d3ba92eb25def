"""With an app id, POST /api/messages runs botbuilder's real JWT validation against a local OpenID provider.

Only the OpenID metadata location differs from production: the issuer, audience, signature, lifetime,
channel endorsement and service URL checks are botbuilder's own, unmocked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import built_function, request, teams_message
from tests.support.bot_tokens import BOT_FRAMEWORK_ISSUER, KEYS_PATH, METADATA_PATH, OpenIdProvider, new_key

APP_ID = "00000000-0000-0000-0000-0000000000b0"
SERVICE_URL = teams_message("help")["serviceUrl"]
REFUSED = {"error": "missing or invalid Bot Framework token"}


@pytest.fixture(scope="session")
def provider() -> Iterator[OpenIdProvider]:
    # One for the session: botbuilder caches the keys per metadata URL for the whole process.
    with OpenIdProvider() as started:
        yield started


@pytest.fixture
def authenticated(policy: OrganisationPolicy, provider: OpenIdProvider) -> Iterator[Container]:
    """The app as deployed (SingleTenant, tenant allow-list), its token keys published by ``provider``."""
    settings = Settings(storage_connection_string="memory", bot_app_id=APP_ID, bot_app_password="secret",
                        bot_app_type="SingleTenant", bot_tenant_id="tenant-1", allowed_tenants=("tenant-1",),
                        bot_openid_metadata_url=provider.metadata_url)
    container = Container(settings, in_memory=True, policy=policy)
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def post(body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    response = await built_function("messages")(request("POST", "messages", body, headers))
    raw = response.get_body()
    return response.status_code, json.loads(raw) if raw else None


def help_reply(body: Any) -> dict[str, Any]:
    [reply] = body["activities"]
    facts = next(b for b in reply["attachments"][0]["content"]["body"] if b["type"] == "FactSet")["facts"]
    assert "@devopsbot help" in [f["title"] for f in facts]
    return dict(reply)


async def test_a_good_channel_token_is_accepted_and_a_forged_one_is_not(
        authenticated: Container, provider: OpenIdProvider) -> None:
    status, body = await post(teams_message("help"), provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL))
    forged_status, forged = await post(teams_message("help"), provider.authorization(
        aud=APP_ID, serviceurl=SERVICE_URL, key=new_key()))
    assert status == 200
    help_reply(body)
    assert (forged_status, forged) == (401, REFUSED)  # so the 200 above came from validation, not from none
    assert {METADATA_PATH, KEYS_PATH} <= set(provider.served)  # the keys came from the local provider


async def test_authenticated_turns_share_the_bots_connector_client_for_their_service_url(
        authenticated: Container, provider: OpenIdProvider) -> None:
    for _ in range(3):
        status, _body = await post(teams_message("help"), provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL))
        assert status == 200
    clients = authenticated.bot.adapter.bot_framework_authentication._clients._items  # bot/connector_cost.py
    connectors = [key for key in clients if key[0] == "connector"]
    assert len(connectors) == 1 and connectors[0][1:3] == (APP_ID, SERVICE_URL), list(clients)
    assert [key for key in clients if key[0] == "token"] == [("token", APP_ID)]


async def test_a_missing_token_is_refused(authenticated: Container) -> None:
    assert await post(teams_message("help")) == (401, REFUSED)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer a.b.c", "Bearer a b"])
async def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(authenticated: Container,
                                                                             header: str) -> None:
    assert await post(teams_message("help"), {"Authorization": header}) == (401, REFUSED)


async def test_an_expired_token_is_refused(authenticated: Container, provider: OpenIdProvider) -> None:
    # botbuilder allows five minutes of clock skew, so this one expired ten minutes ago.
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, expires_in=-600)
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_token_expired_within_the_allowed_clock_skew_is_still_accepted(
        authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, expires_in=-120)
    status, body = await post(teams_message("help"), headers)
    assert status == 200
    help_reply(body)


async def test_a_token_not_yet_valid_is_refused(authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, not_before=600)
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_token_for_another_bot_is_refused(authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud="00000000-0000-0000-0000-0000000000ff", serviceurl=SERVICE_URL)
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_token_from_another_issuer_is_refused(authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, iss="https://api.botframework.example")
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_token_signed_with_another_key_under_the_published_key_id_is_refused(
        authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, key=new_key(), kid=provider.kid)
    assert await post(teams_message("help"), headers) == (401, REFUSED)


@pytest.mark.parametrize("serviceurl", ["https://smba.trafficmanager.net/evil/", None])
async def test_a_token_for_another_service_url_or_none_is_refused(authenticated: Container,
                                                                  provider: OpenIdProvider,
                                                                  serviceurl: str | None) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=serviceurl)
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_good_token_for_an_activity_from_another_tenant_is_refused(
        authenticated: Container, provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL)
    status, body = await post(teams_message("help", tenant="tenant-evil"), headers)
    assert (status, body) == (403, {"error": "this tenant is not allowed to use this bot"})


async def test_a_token_whose_key_is_not_endorsed_for_the_activitys_channel_is_refused(
        authenticated: Container, provider: OpenIdProvider) -> None:
    # The published key is endorsed for msteams only (botbuilder refuses with a bare Exception).
    activity = teams_message("help")
    activity["channelId"] = "webchat"
    status, body = await post(activity, provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL))
    assert (status, body) == (401, REFUSED)


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWT with ``header`` and no signature, as an attacker writes one by hand."""
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part(claims)}."


async def test_an_unsigned_token_alg_none_is_refused(authenticated: Container, provider: OpenIdProvider) -> None:
    now = int(time.time())
    token = unsigned({"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 60,
                      "exp": now + 600}, {"alg": "none", "typ": "JWT", "kid": provider.kid})
    assert await post(teams_message("help"), {"Authorization": f"Bearer {token}"}) == (401, REFUSED)


async def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
        authenticated: Container, provider: OpenIdProvider) -> None:
    # The classic algorithm confusion: HS256 "signed" with the published RSA public key.
    public_pem = provider.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    token = hmac_token({"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 60,
                        "exp": now + 600}, public_pem, provider.kid)
    assert await post(teams_message("help"), {"Authorization": f"Bearer {token}"}) == (401, REFUSED)


def hmac_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = unsigned(claims, header).rstrip(".")
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


async def test_a_token_with_a_key_id_nobody_published_is_refused(authenticated: Container,
                                                                 provider: OpenIdProvider) -> None:
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, kid="not-a-published-key", key=new_key())
    assert await post(teams_message("help"), headers) == (401, REFUSED)


async def test_a_good_token_for_an_activity_naming_no_tenant_is_refused(
        authenticated: Container, provider: OpenIdProvider) -> None:
    activity = teams_message("help")
    activity["conversation"].pop("tenantId")
    activity["channelData"].pop("tenant")
    status, body = await post(activity, provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL))
    assert (status, body) == (403, {"error": "this tenant is not allowed to use this bot"})


async def test_a_refused_token_never_reaches_the_bot(authenticated: Container, provider: OpenIdProvider) -> None:
    # A declaration with an expired token: nothing is stored, nothing is claimed.
    activity = teams_message("declare Checkout failing")
    headers = provider.authorization(aud=APP_ID, serviceurl=SERVICE_URL, expires_in=-600)
    assert await post(activity, headers) == (401, REFUSED)
    assert await authenticated.dependencies.incidents.list_open() == []
    assert vars(authenticated.dependencies.idempotency)["_records"] == {}
