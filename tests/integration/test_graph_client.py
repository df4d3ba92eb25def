"""The Graph client against local doubles: msal's real token flows, the calls that open incident spaces,
throttling, retries and refusals. Nothing here reaches a Microsoft host."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.graph import GraphClient, GraphIdentity, MsalTokens, build_msal_app, channel_display_name
from incident.errors import ConfigurationError, GraphError
from tests.conftest import repo_root
from tests.support.graph import CLIENT_ID, SECRET, GraphDouble, IdentityDouble, Sleeps, secret_identity
from tests.support.processes import free_port

TEAM = "57fb72d0-d811-46f4-8947-305e6072eaa5"
ALICE, BOB, CAROL = ("a11ce000-0000-0000-0000-000000000001", "b0b00000-0000-0000-0000-000000000002",
                     "ca201000-0000-0000-0000-000000000003")
APP = "d1f0e7a2-0000-0000-0000-0000000000ab"
BIND = "https://graph.microsoft.com/v1.0/users('{}')"


def key_and_certificate(directory: Path, *, with_certificate: bool) -> tuple[Path, rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devopsbot-test")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if with_certificate:
        pem += certificate.public_bytes(serialization.Encoding.PEM)
    path = directory / "graph.pem"
    path.write_bytes(pem)
    return path, key, certificate


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()  # msal keeps the padding in x5t, and Entra accepts it


async def open_standard_channel(client: GraphClient) -> str:
    return await client.create_channel(TEAM, "INC-2026-0042 checkout down", "Payments outage", private=False,
                                       owner_aad_ids=[])


# --- tokens -------------------------------------------------------------------------------------------------


async def test_client_secret_flow_posts_credentials_and_graph_sees_the_bearer_token(
        client: GraphClient, identity: IdentityDouble, graph: GraphDouble) -> None:
    await open_standard_channel(client)

    [posted] = identity.token_requests
    sent_secret = posted.get("client_secret") or posted["basic"].partition(":")[2]
    assert (posted["client_id"], sent_secret) == (CLIENT_ID, SECRET)
    assert (posted["grant_type"], posted["scope"]) == ("client_credentials", "https://graph.microsoft.com/.default")
    assert [r.authorization for r in graph.requests] == ["Bearer graph-token-1"]


async def test_certificate_flow_posts_a_client_assertion_signed_with_the_key(
        identity: IdentityDouble, tmp_path: Path) -> None:
    path, key, certificate = key_and_certificate(tmp_path, with_certificate=False)
    thumbprint = certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Entra's x5t is SHA-1
    tokens = MsalTokens(GraphIdentity(mode="certificate", client_id=CLIENT_ID, tenant_id=identity.tenant,
                                      certificate_path=str(path), certificate_thumbprint=thumbprint,
                                      authority_host=identity.authority_host), http_client=identity)

    assert await tokens.token() == "graph-token-1"

    [posted] = identity.token_requests
    assert "client_secret" not in posted and "basic" not in posted
    assert posted["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    claims = jwt.decode(posted["client_assertion"], key.public_key(), algorithms=["RS256"],
                        audience=identity.token_endpoint)
    assert (claims["iss"], claims["sub"]) == (CLIENT_ID, CLIENT_ID)
    assert jwt.get_unverified_header(posted["client_assertion"])["x5t"] == b64url(bytes.fromhex(thumbprint))


async def test_certificate_without_thumbprint_signs_with_the_certificates_sha256_thumbprint(
        identity: IdentityDouble, tmp_path: Path) -> None:
    path, key, certificate = key_and_certificate(tmp_path, with_certificate=True)
    tokens = MsalTokens(GraphIdentity(mode="certificate", client_id=CLIENT_ID, tenant_id=identity.tenant,
                                      certificate_path=str(path), authority_host=identity.authority_host),
                        http_client=identity)

    await tokens.token()

    assertion = identity.token_requests[0]["client_assertion"]
    jwt.decode(assertion, key.public_key(), algorithms=["PS256"], audience=identity.token_endpoint)
    assert jwt.get_unverified_header(assertion)["x5t#S256"] == b64url(certificate.fingerprint(hashes.SHA256()))


async def test_token_is_cached_across_requests(client: GraphClient, identity: IdentityDouble,
                                               graph: GraphDouble) -> None:
    await open_standard_channel(client)
    await open_standard_channel(client)

    assert (identity.discovery_requests, len(identity.token_requests)) == (1, 1)
    assert {r.authorization for r in graph.requests} == {"Bearer graph-token-1"}


async def test_token_endpoint_refusal_raises_graph_error_without_the_secret(
        client: GraphClient, identity: IdentityDouble, graph: GraphDouble) -> None:
    identity.token_error = "invalid_client"

    with pytest.raises(GraphError) as raised:
        await open_standard_channel(client)

    assert raised.value.code == "invalid_client" and "invalid_client" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert graph.requests == []


@pytest.fixture
def app_service_identity(monkeypatch: pytest.MonkeyPatch, identity: IdentityDouble) -> None:
    """The environment App Service and Azure Functions give a managed identity, pointing at the double."""
    for name in ("IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity.managed_identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-value")


@pytest.mark.usefixtures("app_service_identity")
async def test_system_assigned_managed_identity_asks_the_identity_endpoint_for_graph(
        identity: IdentityDouble) -> None:
    tokens = MsalTokens(GraphIdentity(mode="managed_identity"), http_client=identity)

    assert await tokens.token() == "graph-token-1"

    [asked] = identity.managed_identity_requests
    assert asked["params"]["resource"] == "https://graph.microsoft.com"
    assert "client_id" not in asked["params"]
    assert asked["headers"]["X-IDENTITY-HEADER"] == "identity-header-value"
    assert identity.token_requests == []


@pytest.mark.usefixtures("app_service_identity")
async def test_user_assigned_managed_identity_names_its_client_id(identity: IdentityDouble) -> None:
    tokens = MsalTokens(GraphIdentity(mode="managed_identity", client_id=CLIENT_ID), http_client=identity)

    await tokens.token()
    await tokens.token()

    [asked] = identity.managed_identity_requests
    assert asked["params"]["client_id"] == CLIENT_ID


def test_managed_identity_mode_builds_msals_managed_identity_client_without_calling_it(
        identity: IdentityDouble) -> None:
    import msal  # type: ignore[import-untyped]

    app = build_msal_app(GraphIdentity(mode="managed_identity", client_id=CLIENT_ID), identity)

    assert isinstance(app, msal.ManagedIdentityClient)
    assert identity.managed_identity_requests == [] and identity.issued == []


def test_secret_mode_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="DEVOPSBOT_GRAPH_CLIENT_SECRET"):
        MsalTokens(GraphIdentity(mode="secret", client_id=CLIENT_ID, tenant_id="t"))


def test_importing_the_adapter_imports_no_msal() -> None:
    code = "import sys, adapters.graph; assert 'msal' not in sys.modules, 'msal imported'"
    subprocess.run([sys.executable, "-c", code], cwd=repo_root(), check=True)


async def test_rejected_token_is_dropped_and_the_request_retried_once_with_a_fresh_one(
        client: GraphClient, identity: IdentityDouble, graph: GraphDouble) -> None:
    graph.rejected_tokens = {"graph-token-1"}

    assert await open_standard_channel(client)

    assert len(identity.token_requests) == 2
    assert [r.authorization for r in graph.requests] == ["Bearer graph-token-1", "Bearer graph-token-2"]


async def test_token_rejected_again_after_refresh_raises_graph_error(
        client: GraphClient, identity: IdentityDouble, graph: GraphDouble) -> None:
    graph.rejected_tokens = {"graph-token-1", "graph-token-2"}

    with pytest.raises(GraphError) as raised:
        await open_standard_channel(client)

    assert (raised.value.status, raised.value.code) == (401, "InvalidAuthenticationToken")
    assert len(graph.requests) == 2 and "graph-token" not in str(raised.value)


# --- incident spaces ----------------------------------------------------------------------------------------


async def test_create_standard_channel_returns_its_id(client: GraphClient, graph: GraphDouble) -> None:
    channel_id = await client.create_channel(TEAM, "INC-2026-0042 checkout down", "Payments outage",
                                             private=False, owner_aad_ids=[ALICE])

    assert channel_id == "19:channel1@thread.tacv2"
    [request] = graph.requests
    assert (request.method, request.path) == ("POST", f"/teams/{TEAM}/channels")
    assert request.body == {"displayName": "INC-2026-0042 checkout down", "description": "Payments outage",
                            "membershipType": "standard"}


async def test_create_private_channel_binds_each_owner_once(client: GraphClient, graph: GraphDouble) -> None:
    channel_id = await client.create_channel(TEAM, "INC-2026-0043", "Breach", private=True,
                                             owner_aad_ids=[ALICE, BOB, ALICE])

    [body] = graph.bodies("/channels")
    assert body["membershipType"] == "private"
    assert body["members"] == [{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": ["owner"],
                                "user@odata.bind": BIND.format(person)} for person in (ALICE, BOB)]
    assert len(graph.channel_members[channel_id]) == 2


async def test_private_channel_without_owners_is_refused_before_calling_graph(
        client: GraphClient, graph: GraphDouble) -> None:
    with pytest.raises(GraphError, match="at least one owner"):
        await client.create_channel(TEAM, "INC-2026-0044", "", private=True, owner_aad_ids=[])

    assert graph.requests == []


async def test_add_channel_members_tolerates_somebody_already_in(client: GraphClient, graph: GraphDouble) -> None:
    channel_id = await client.create_channel(TEAM, "INC-2026-0045", "", private=True, owner_aad_ids=[ALICE])

    await client.add_channel_members(TEAM, channel_id, [ALICE, BOB, CAROL])

    assert [r.path for r in graph.requests[1:]] == [f"/teams/{TEAM}/channels/{channel_id}/members"] * 3
    assert [m["user@odata.bind"] for m in graph.channel_members[channel_id]] == [
        BIND.format(person) for person in (ALICE, BOB, CAROL)]
    assert graph.channel_members[channel_id][1]["roles"] == []


async def test_create_group_chat_makes_everyone_owner(client: GraphClient, graph: GraphDouble) -> None:
    chat_id = await client.create_group_chat("INC-2026-0046 login errors", [ALICE, BOB, CAROL])

    assert chat_id == "19:chat1@thread.v2"
    [request] = graph.requests
    assert request.path == "/chats"
    assert (request.body["chatType"], request.body["topic"]) == ("group", "INC-2026-0046 login errors")
    assert [(m["roles"], m["user@odata.bind"]) for m in request.body["members"]] == [
        (["owner"], BIND.format(person)) for person in (ALICE, BOB, CAROL)]


async def test_group_chat_with_fewer_than_three_people_raises_graph_error(
        client: GraphClient, graph: GraphDouble) -> None:
    with pytest.raises(GraphError, match="at least 3 different members, got 2"):
        await client.create_group_chat("INC-2026-0047", [ALICE, BOB, ALICE])

    assert graph.requests == []


async def test_install_app_in_chat_binds_the_catalog_app(client: GraphClient, graph: GraphDouble) -> None:
    await client.install_app_in_chat("19:chat9@thread.v2", APP)

    [request] = graph.requests
    assert request.path == "/chats/19:chat9@thread.v2/installedApps"
    assert request.body == {"teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{APP}"}


async def test_install_app_already_in_the_chat_is_fine(client: GraphClient, graph: GraphDouble) -> None:
    await client.install_app_in_chat("19:chat9@thread.v2", APP)
    await client.install_app_in_chat("19:chat9@thread.v2", APP)

    assert len(graph.installed_apps["19:chat9@thread.v2"]) == 1 and len(graph.requests) == 2


# --- channel names ------------------------------------------------------------------------------------------


async def test_channel_name_loses_the_characters_teams_forbids(client: GraphClient, graph: GraphDouble) -> None:
    await client.create_channel(TEAM, "INC-42: \"DB\" / API's ~#%&*{}+\\<>?| down", "", private=False,
                                owner_aad_ids=[])

    assert graph.bodies("/channels")[0]["displayName"] == "INC-42 DB API s down"


def test_channel_name_loses_leading_underscores_and_periods_and_trailing_periods() -> None:
    assert channel_display_name("_.__INC-43 disk full...") == "INC-43 disk full"


def test_channel_name_is_cut_to_fifty_characters() -> None:
    name = channel_display_name("INC-2026-0048 " + "very long outage description " * 5)

    assert len(name) <= 50 and name.startswith("INC-2026-0048 very long") and not name.endswith(" ")


def test_channel_name_with_nothing_acceptable_raises_graph_error() -> None:
    with pytest.raises(GraphError, match="keeps no character"):
        channel_display_name("_.?*")


# --- throttling, retries, refusals ------------------------------------------------------------------------


async def test_throttled_request_waits_retry_after_then_succeeds(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.throttled, graph.retry_after = 2, "7"

    assert await open_standard_channel(client)

    assert sleeps == [7.0, 7.0] and len(graph.requests) == 3


async def test_service_unavailable_with_retry_after_is_waited_for(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.throttled, graph.throttled_status, graph.retry_after = 1, 503, "3"

    assert await open_standard_channel(client)

    assert sleeps == [3.0]


async def test_retry_after_is_capped(client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.throttled, graph.retry_after = 1, "3600"

    await open_standard_channel(client)

    assert sleeps == [30.0]


async def test_server_errors_are_retried_with_exponential_backoff(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.failing = 3

    assert await open_standard_channel(client)

    assert sleeps == [1.0, 2.0, 4.0] and len(graph.requests) == 4


async def test_persistent_server_errors_raise_graph_error(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.failing = 100

    with pytest.raises(GraphError) as raised:
        await open_standard_channel(client)

    assert (raised.value.status, raised.value.code) == (500, "InternalServerError")
    assert "after 4 retries" in str(raised.value)
    assert len(sleeps) == 4 and len(graph.requests) == 5


async def test_forbidden_raises_graph_error_naming_status_and_code_without_retrying(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.forbidden_code = "Forbidden"

    with pytest.raises(GraphError) as raised:
        await open_standard_channel(client)

    message = str(raised.value)
    assert "creating channel 'INC-2026-0042 checkout down'" in message
    assert "HTTP 403 Forbidden: Missing role permissions" in message
    assert "graph-token" not in message
    assert (raised.value.status, raised.value.code) == (403, "Forbidden")
    assert sleeps == [] and len(graph.requests) == 1


async def test_unreachable_graph_is_retried_then_raises_graph_error(
        identity: IdentityDouble, sleeps: Sleeps) -> None:
    closed = GraphClient(MsalTokens(secret_identity(identity), http_client=identity),
                         base_url=f"http://127.0.0.1:{free_port()}/v1.0", sleep=sleeps)
    try:
        with pytest.raises(GraphError, match="no answer") as raised:
            await open_standard_channel(closed)
    finally:
        await closed.close()

    assert raised.value.status == 0 and sleeps == [1.0, 2.0, 4.0, 8.0]


# --- Microsoft 365 service health ------------------------------------------------------------------------


async def test_service_issues_are_the_services_unresolved_ones_across_pages(client: GraphClient,
                                                                           graph: GraphDouble) -> None:
    graph.announce("TM100001", "serviceDegradation")
    graph.announce("TM100002", "serviceRestored", resolved=True)
    graph.announce("EX100003", "serviceInterruption", service="Exchange Online")
    graph.announce("TM100004", "Investigating", classification="Advisory")
    graph.announce("TM100005", "ServiceInterruption")

    issues = await client.service_issues("Microsoft Teams")

    assert [(i.id, i.status, i.classification) for i in issues] == [
        ("TM100001", "serviceDegradation", "Incident"), ("TM100004", "Investigating", "Advisory"),
        ("TM100005", "ServiceInterruption", "Incident")]
    assert issues[0].title == "Users may be unable to use Microsoft Teams" and not issues[0].resolved
    assert len(graph.requests) == 2  # two issues a page in the double: the client followed the next link


async def test_the_client_asks_only_what_graph_accepts_even_for_a_name_with_a_quote(
        client: GraphClient, graph: GraphDouble) -> None:
    graph.announce("XX100001", "serviceInterruption", service="Contoso's Teams")
    issues = "/admin/serviceAnnouncement/issues"
    for refused, said in ((f"{issues}?$filter=service eq 'Contoso's Teams'", "Invalid filter clause"),
                          (f"{issues}?$filter=contains(service,'Teams')", "Invalid filter clause"),
                          (f"{issues}?$select=id,severity", "named 'severity'")):
        with pytest.raises(GraphError) as raised:  # the double refuses what Graph refuses
            await client.get("listing issues", refused)
        assert raised.value.status == 400 and said in str(raised.value)

    assert [i.id for i in await client.service_issues("Contoso's Teams")] == ["XX100001"]


async def test_service_health_without_the_permission_is_a_403_graph_error(client: GraphClient, graph: GraphDouble,
                                                                          sleeps: Sleeps) -> None:
    graph.service_health_granted = False

    with pytest.raises(GraphError) as raised:
        await client.service_issues("Microsoft Teams")

    assert raised.value.status == 403 and "ServiceHealth.Read.All" in str(raised.value)
    assert sleeps == []
