"""The dashboard, incident documents and playbook pages believe only an identity they can verify.

In Azure (a bot app id configured): App Service Authentication's X-MS-CLIENT-PRINCIPAL only when the platform
says its authentication is on and the path is not one it leaves anonymous; or an Entra ID token the app checks
itself against the tenant's keys, published here by a local OpenID provider. Anything else is a 401.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE
from tests.functions.conftest import built_function
from tests.functions.test_bot_authentication import unsigned
from tests.functions.test_documents import principal
from tests.support.bot_tokens import OpenIdProvider, entra_issuers, entra_provider, new_key
from tests.unit.postmortem_fixtures import rich_incident

TENANT = "tenant-1"
CLIENT_ID = "00000000-0000-0000-0000-00000000d0c5"
HOST = "devopsbot.contoso.example"
V1_ISSUER, V2_ISSUER = entra_issuers(TENANT)
PAGES = ["dashboard", "dashboard_chart", "incident_document", "playbook_version"]


@pytest.fixture(scope="session")
def tenant() -> Iterator[OpenIdProvider]:
    with entra_provider(TENANT) as started:
        yield started


def deploy(policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, *, platform_auth: bool,
           anonymous_paths: tuple[str, ...] = ("/api/messages", "/api/health", "/api/act")) -> Container:
    settings = Settings(storage_connection_string="memory", bot_app_id="00000000-0000-0000-0000-0000000000b0",
                        bot_tenant_id=TENANT, pages_client_id=CLIENT_ID, entra_openid_metadata_url=tenant.metadata_url,
                        public_url=f"https://{HOST}", platform_auth_enabled=platform_auth,
                        anonymous_paths=anonymous_paths)
    container = Container(settings, clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier())
    bootstrap.reset_container(container)
    return container


@pytest.fixture(autouse=True)
def reset() -> Iterator[None]:
    yield
    bootstrap.reset_container(None)


def page_request(page: str, headers: dict[str, str], path: str = "") -> func.HttpRequest:
    """A GET of ``page`` (for a document: the private incident INC-2026-0042's)."""
    routes: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
        "dashboard": ("/api/dashboard", {}, {}),
        "dashboard_chart": ("/api/dashboard/chart.svg", {}, {}),
        "incident_document": ("/api/incidents/INC-2026-0042/document", {"format": "md"}, {"id": "INC-2026-0042"}),
        "playbook_version": ("/api/playbooks/checkout/current", {}, {"service": "checkout", "version": "current"}),
    }
    route, params, route_params = routes[page]
    return func.HttpRequest(method="GET", url=f"https://{HOST}{path or route}", headers=headers, params=params,
                            route_params=route_params, body=b"")


async def status_of(page: str, headers: dict[str, str], path: str = "") -> int:
    return int((await built_function(page)(page_request(page, headers, path))).status_code)


# Past sign-in, each page answers: the dashboard and chart 200, the document 200 (ALICE declared it), and the
# playbook 404 (checkout has no approved playbook), never 401.
SERVED = {"dashboard": 200, "dashboard_chart": 200, "incident_document": 200, "playbook_version": 404}


async def stored_private_incident(container: Container, policy: OrganisationPolicy) -> None:
    incident = rich_incident(policy)
    incident.private = True
    await container.dependencies.incidents.add(incident)


def entra_token(tenant: OpenIdProvider, **overrides: Any) -> dict[str, str]:
    """Alice's Teams single sign-on token for the pages (a delegated token: it has a scope)."""
    claims: dict[str, Any] = {"aud": CLIENT_ID, "iss": V2_ISSUER, "serviceurl": None, "tid": TENANT,
                              "oid": ALICE.aad_id, "name": ALICE.name, "scp": "access_as_user", "ver": "2.0"}
    return tenant.authorization(**{**claims, **overrides})


@pytest.mark.parametrize("page", PAGES)
async def test_a_forged_principal_header_is_refused_when_the_platform_does_not_vouch_for_it(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, page: str) -> None:
    container = deploy(policy, clock, tenant, platform_auth=False)
    await stored_private_incident(container, policy)
    forged = {"X-MS-CLIENT-PRINCIPAL": principal(ALICE.aad_id or "", ALICE.name)}
    assert await status_of(page, forged) == 401


@pytest.mark.parametrize("page", PAGES)
async def test_the_principal_header_is_believed_when_the_platform_signs_people_in(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, page: str) -> None:
    container = deploy(policy, clock, tenant, platform_auth=True)
    await stored_private_incident(container, policy)
    signed_in = {"X-MS-CLIENT-PRINCIPAL": principal(ALICE.aad_id or "", ALICE.name)}
    assert await status_of(page, signed_in) == SERVED[page]
    assert await status_of(page, {}) == 401


async def test_the_private_document_goes_to_its_declarer_not_to_a_colleague(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider) -> None:
    container = deploy(policy, clock, tenant, platform_auth=True)
    await stored_private_incident(container, policy)
    response = await built_function("incident_document")(page_request(
        "incident_document", {"X-MS-CLIENT-PRINCIPAL": principal(ALICE.aad_id or "", ALICE.name)}))
    assert response.get_body().decode().startswith("# INC-2026-0042: Checkout failing")
    colleague = {"X-MS-CLIENT-PRINCIPAL": principal("00000000-0000-0000-0000-0000000c011e")}
    assert await status_of("incident_document", colleague) == 404  # as if it did not exist


@pytest.mark.parametrize(("anonymous", "path"), [
    (("/api/dashboard",), ""),  # a deployment that left the page itself anonymous
    (("/*",), ""),
    (("/api/act",), "/api/act/%2e%2e/dashboard"),  # dotted segments reaching the page from an anonymous path
    (("/api/act",), "/API/ACT/../dashboard"),
])
async def test_the_principal_header_is_not_believed_on_a_path_the_platform_leaves_anonymous(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, anonymous: tuple[str, ...],
        path: str) -> None:
    deploy(policy, clock, tenant, platform_auth=True, anonymous_paths=anonymous)
    signed_in = {"X-MS-CLIENT-PRINCIPAL": principal(ALICE.aad_id or "", ALICE.name)}
    assert await status_of("dashboard", signed_in, path) == 401


@pytest.mark.parametrize("issuer", [V1_ISSUER, V2_ISSUER], ids=["v1", "v2"])
@pytest.mark.parametrize("audience", [CLIENT_ID, f"api://{CLIENT_ID}", f"api://{HOST}/{CLIENT_ID}"])
async def test_a_valid_entra_token_is_believed_without_the_platforms_sign_in(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, issuer: str, audience: str) -> None:
    container = deploy(policy, clock, tenant, platform_auth=False)
    await stored_private_incident(container, policy)
    for page in PAGES:
        assert await status_of(page, entra_token(tenant, iss=issuer, aud=audience)) == SERVED[page], page


async def test_a_valid_entra_token_names_the_caller_who_may_read_the_private_document(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider) -> None:
    container = deploy(policy, clock, tenant, platform_auth=False)
    await stored_private_incident(container, policy)
    colleague = entra_token(tenant, oid="00000000-0000-0000-0000-0000000c011e", name="A colleague")
    assert await status_of("incident_document", colleague) == 404


async def test_the_tenants_keys_are_fetched_once_for_many_page_requests(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider) -> None:
    deploy(policy, clock, tenant, platform_auth=False)
    assert await status_of("dashboard", entra_token(tenant)) == 200
    fetched = len(tenant.served)
    for _ in range(3):
        assert await status_of("dashboard", entra_token(tenant)) == 200
    assert await status_of("dashboard", entra_token(tenant, kid="made-up", key=new_key())) == 401
    assert len(tenant.served) == fetched


def _refused_tokens(tenant: OpenIdProvider) -> dict[str, dict[str, str]]:
    now = int(time.time())
    none_token = unsigned({"iss": V2_ISSUER, "aud": CLIENT_ID, "oid": ALICE.aad_id, "scp": "access_as_user",
                           "nbf": now - 60, "exp": now + 600}, {"alg": "none", "typ": "JWT", "kid": tenant.kid})
    return {
        "expired": entra_token(tenant, expires_in=-600),
        "not yet valid": entra_token(tenant, not_before=600),
        "for another app": entra_token(tenant, aud="00000000-0000-0000-0000-0000000000ff"),
        "for the bot": entra_token(tenant, aud="00000000-0000-0000-0000-0000000000b0"),
        "from another tenant v1": entra_token(tenant, iss=entra_issuers("tenant-evil")[0], tid="tenant-evil"),
        "from another tenant v2": entra_token(tenant, iss=entra_issuers("tenant-evil")[1], tid="tenant-evil"),
        "from bot framework": entra_token(tenant, iss="https://api.botframework.com"),
        "forged signature": entra_token(tenant, key=new_key(), kid=tenant.kid),
        "unknown key id": entra_token(tenant, key=new_key(), kid="not-published"),
        "unsigned": {"Authorization": f"Bearer {none_token}"},
        "an application's, naming no person": entra_token(tenant, scp=None),
        "garbage": {"Authorization": "Bearer not.a.token"},
    }


REFUSED_CASES = ["expired", "not yet valid", "for another app", "for the bot", "from another tenant v1",
                 "from another tenant v2", "from bot framework", "forged signature", "unknown key id", "unsigned",
                 "an application's, naming no person", "garbage"]


@pytest.mark.parametrize("case", REFUSED_CASES)
async def test_an_invalid_entra_token_gets_401_even_with_a_principal_header(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider, case: str) -> None:
    container = deploy(policy, clock, tenant, platform_auth=False)
    await stored_private_incident(container, policy)
    headers = {**_refused_tokens(tenant)[case],
               "X-MS-CLIENT-PRINCIPAL": principal(ALICE.aad_id or "", ALICE.name)}
    for page in PAGES:
        assert await status_of(page, headers) == 401, page


async def test_the_dashboard_shows_a_security_incident_only_to_its_people(
        policy: OrganisationPolicy, clock: FixedClock, tenant: OpenIdProvider) -> None:
    container = deploy(policy, clock, tenant, platform_auth=False)
    await stored_private_incident(container, policy)
    own = (await built_function("dashboard")(page_request("dashboard", entra_token(tenant)))).get_body().decode()
    assert "Checkout failing" in own  # Alice declared it: her Entra object id is recognised
    colleague = entra_token(tenant, oid="00000000-0000-0000-0000-00000000c011", name="A colleague")
    other = (await built_function("dashboard")(page_request("dashboard", colleague))).get_body().decode()
    assert "Checkout failing" not in other and "details restricted" in other
