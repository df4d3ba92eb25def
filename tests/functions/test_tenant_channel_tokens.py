"""POST /api/messages accepts channel tokens from Bot Framework and from the bot's own Entra tenant, and nothing else.

Two local OpenID providers stand in for Bot Framework's and the tenant's (v1 and v2 issuers, Entra-shaped keys
without endorsements); only their metadata locations differ from production. Every refusal is a 401 that never
reaches the bot.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import teams_message
from tests.functions.test_bot_authentication import (
    APP_ID,
    REFUSED,
    SERVICE_URL,
    help_reply,
    hmac_token,
    post,
    unsigned,
)
from tests.support.bot_tokens import (
    KEYS_PATH,
    OpenIdProvider,
    entra_issuers,
    entra_metadata_path,
    entra_provider,
    new_key,
)

TENANT = "tenant-1"
V1_ISSUER, V2_ISSUER = entra_issuers(TENANT)
OTHER_TENANT_ISSUERS = list(entra_issuers("tenant-evil"))
# What an Entra-issued channel token carries besides the checked claims (appid: the channel's own client).
ENTRA_CLAIMS = {"tid": TENANT, "appid": "00000000-0000-0000-0000-00000000c4a1", "ver": "1.0"}


@pytest.fixture(scope="session")
def bot_framework() -> Iterator[OpenIdProvider]:
    with OpenIdProvider(kid="bot-framework-key") as started:  # botbuilder caches its keys for the process
        yield started


@pytest.fixture(scope="session")
def tenant() -> Iterator[OpenIdProvider]:
    with entra_provider(TENANT) as started:
        yield started


@pytest.fixture
def deployed(policy: OrganisationPolicy, bot_framework: OpenIdProvider, tenant: OpenIdProvider) -> Iterator[Container]:
    settings = Settings(storage_connection_string="memory", bot_app_id=APP_ID, bot_app_password="secret",
                        bot_app_type="SingleTenant", bot_tenant_id=TENANT, allowed_tenants=(TENANT,),
                        bot_openid_metadata_url=bot_framework.metadata_url,
                        entra_openid_metadata_url=tenant.metadata_url)
    container = Container(settings, in_memory=True, policy=policy)
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


def tenant_token(tenant: OpenIdProvider, **overrides: Any) -> dict[str, str]:
    claims: dict[str, Any] = {"aud": APP_ID, "serviceurl": SERVICE_URL, "iss": V1_ISSUER, **ENTRA_CLAIMS}
    return tenant.authorization(**{**claims, **overrides})


async def assert_refused(headers: dict[str, str], deployed: Container) -> None:
    assert await post(teams_message("declare Checkout failing"), headers) == (401, REFUSED)
    assert await deployed.dependencies.incidents.list_open() == []  # nothing reached the bot


@pytest.mark.parametrize("issuer", [V1_ISSUER, V2_ISSUER], ids=["v1", "v2"])
async def test_a_channel_token_the_bots_own_tenant_issued_is_accepted(
        deployed: Container, tenant: OpenIdProvider, issuer: str) -> None:
    status, body = await post(teams_message("help"), tenant_token(tenant, iss=issuer))
    assert status == 200, body
    help_reply(body)
    assert {entra_metadata_path(TENANT), KEYS_PATH} <= set(tenant.served)  # checked with the tenant's keys


async def test_a_bot_framework_token_is_still_accepted_beside_the_tenants(
        deployed: Container, bot_framework: OpenIdProvider) -> None:
    status, body = await post(teams_message("help"), bot_framework.authorization(aud=APP_ID, serviceurl=SERVICE_URL))
    assert status == 200
    help_reply(body)


async def test_the_tenants_keys_are_fetched_once_not_on_every_request(deployed: Container,
                                                                      tenant: OpenIdProvider) -> None:
    assert (await post(teams_message("help"), tenant_token(tenant)))[0] == 200
    fetched = len(tenant.served)
    for _ in range(3):
        assert (await post(teams_message("help"), tenant_token(tenant)))[0] == 200
    for kid in ("made-up-1", "made-up-2", "made-up-3"):  # unknown key ids do not trigger a fetch each
        await assert_refused(tenant_token(tenant, kid=kid, key=new_key()), deployed)
    assert len(tenant.served) == fetched


@pytest.mark.parametrize("issuer", OTHER_TENANT_ISSUERS, ids=["v1", "v2"])
async def test_a_token_another_tenant_issued_is_refused(deployed: Container, tenant: OpenIdProvider,
                                                        issuer: str) -> None:
    await assert_refused(tenant_token(tenant, iss=issuer, tid="tenant-evil"), deployed)


@pytest.mark.parametrize("issuer", [V1_ISSUER, V2_ISSUER], ids=["v1", "v2"])
async def test_a_tenant_token_for_another_audience_is_refused(deployed: Container, tenant: OpenIdProvider,
                                                              issuer: str) -> None:
    for audience in ("00000000-0000-0000-0000-0000000000ff", "https://api.botframework.com", f"api://{APP_ID}"):
        await assert_refused(tenant_token(tenant, iss=issuer, aud=audience), deployed)


async def test_a_tenant_token_naming_the_bot_among_other_audiences_is_refused(deployed: Container,
                                                                             tenant: OpenIdProvider) -> None:
    await assert_refused(tenant_token(tenant, aud=[APP_ID, "00000000-0000-0000-0000-0000000000ff"]), deployed)


async def test_an_expired_tenant_token_is_refused(deployed: Container, tenant: OpenIdProvider) -> None:
    await assert_refused(tenant_token(tenant, expires_in=-600), deployed)  # past the five minutes of skew


async def test_a_tenant_token_expired_within_the_allowed_clock_skew_is_accepted(
        deployed: Container, tenant: OpenIdProvider) -> None:
    status, body = await post(teams_message("help"), tenant_token(tenant, expires_in=-120))
    assert status == 200
    help_reply(body)


async def test_a_tenant_token_not_yet_valid_is_refused(deployed: Container, tenant: OpenIdProvider) -> None:
    await assert_refused(tenant_token(tenant, not_before=600), deployed)


async def test_a_tenant_token_with_a_forged_signature_is_refused(deployed: Container, tenant: OpenIdProvider) -> None:
    await assert_refused(tenant_token(tenant, key=new_key(), kid=tenant.kid), deployed)


async def test_a_tenant_token_with_a_key_id_the_tenant_never_published_is_refused(
        deployed: Container, tenant: OpenIdProvider, bot_framework: OpenIdProvider) -> None:
    await assert_refused(tenant_token(tenant, kid="not-a-published-key", key=new_key()), deployed)
    # Bot Framework's key, under its own id, signs nothing that claims to come from the tenant.
    await assert_refused(tenant_token(bot_framework), deployed)


async def test_a_bot_framework_token_signed_with_the_tenants_key_is_refused(
        deployed: Container, tenant: OpenIdProvider) -> None:
    await assert_refused(tenant.authorization(aud=APP_ID, serviceurl=SERVICE_URL,
                                              iss="https://api.botframework.com"), deployed)


async def test_an_unsigned_tenant_token_is_refused(deployed: Container, tenant: OpenIdProvider) -> None:
    now = int(time.time())
    token = unsigned({"iss": V1_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 60, "exp": now + 600},
                     {"alg": "none", "typ": "JWT", "kid": tenant.kid})
    await assert_refused({"Authorization": f"Bearer {token}"}, deployed)


async def test_a_tenant_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
        deployed: Container, tenant: OpenIdProvider) -> None:
    public_pem = tenant.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    token = hmac_token({"iss": V2_ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 60,
                        "exp": now + 600}, public_pem, tenant.kid)
    await assert_refused({"Authorization": f"Bearer {token}"}, deployed)


@pytest.mark.parametrize("serviceurl", ["https://smba.trafficmanager.net/evil/", None], ids=["other", "missing"])
async def test_a_tenant_token_for_another_service_url_or_none_is_refused(
        deployed: Container, tenant: OpenIdProvider, serviceurl: str | None) -> None:
    await assert_refused(tenant_token(tenant, serviceurl=serviceurl), deployed)
