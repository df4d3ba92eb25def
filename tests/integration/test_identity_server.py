"""The HTTPS identity double that `serve` processes use, driven by msal itself (requests over TLS, the CA made
for the run): it refuses what the Microsoft identity platform refuses, and Graph takes only what it issued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import requests

from adapters.graph import GraphClient, GraphIdentity, MsalTokens
from devopsbot.bootstrap import Container
from devopsbot.settings import load_settings
from incident.errors import ConfigurationError, GraphError
from tests.support.graph import CLIENT_ID, SECRET, GraphDouble, running_graph
from tests.support.identity_server import IdentityServer, TlsFiles, running_identity, trusting

TENANT = "99999999-8888-7777-6666-555555555555"
MAILBOX = "incidents-in@contoso.example"


@pytest_asyncio.fixture
async def identity(tmp_path: Path) -> AsyncIterator[tuple[IdentityServer, TlsFiles]]:
    async with running_identity(tmp_path, tenant=TENANT, client_id=CLIENT_ID,
                                client_secrets={"first": SECRET, "second": "an0ther-secret"}) as found:
        yield found


@pytest_asyncio.fixture
async def graph(identity: tuple[IdentityServer, TlsFiles]) -> AsyncIterator[GraphDouble]:
    async with running_graph() as double:
        double.accepts = identity[0].accepts
        yield double


def tokens(identity: tuple[IdentityServer, TlsFiles], **changes: Any) -> MsalTokens:
    server, files = identity
    fields: dict[str, Any] = {"mode": "secret", "client_id": CLIENT_ID, "tenant_id": TENANT, "client_secret": SECRET,
                              "authority_host": server.url} | changes
    return MsalTokens(GraphIdentity(**fields), http_client=trusting(files))


async def read_mailbox(source: MsalTokens, graph: GraphDouble) -> dict[str, Any]:
    client = GraphClient(source, base_url=graph.url, max_retries=0)
    try:
        return await client.get("reading the mailbox", f"/users/{MAILBOX}/mailFolders/inbox/messages/delta")
    finally:
        await client.close()


async def test_a_token_for_the_right_secret_tenant_and_scope_opens_graph(
        identity: tuple[IdentityServer, TlsFiles], graph: GraphDouble) -> None:
    graph.deliver("alice@contoso.example", "hello", "text")
    page = await read_mailbox(tokens(identity), graph)
    assert [m["subject"] for m in page["value"]] == ["hello"]
    [(token, issued)] = identity[0].issued.items()
    assert issued.secret_name == "first" and identity[0].holder(token) == "first"
    assert graph.requests[-1].authorization == f"Bearer {token}"


async def test_each_client_secret_of_the_app_gets_its_own_tokens(identity: tuple[IdentityServer, TlsFiles]) -> None:
    first, second = await tokens(identity).token(), await tokens(identity, client_secret="an0ther-secret").token()
    assert first != second
    assert (identity[0].holder(first), identity[0].holder(second)) == ("first", "second")


@pytest.mark.parametrize(("changes", "code"), [
    ({"client_secret": "not-the-secret"}, "invalid_client"),
    ({"client_id": "00000000-0000-0000-0000-00000000dead"}, "unauthorized_client"),
    ({"tenant_id": "00000000-0000-0000-0000-000000000bad"}, ""),  # refused at the tenant's discovery
    ({"scope": "https://graph.microsoft.com/Mail.Read"}, "invalid_scope"),
])
async def test_what_the_identity_platform_refuses_gets_no_token(
        identity: tuple[IdentityServer, TlsFiles], changes: dict[str, str], code: str) -> None:
    with pytest.raises(GraphError, match="acquiring a token") as refused:
        await tokens(identity, **changes).token()
    assert refused.value.code == code
    assert identity[0].issued == {}


async def test_graph_refuses_a_token_the_identity_server_did_not_issue_or_that_expired(
        identity: tuple[IdentityServer, TlsFiles], graph: GraphDouble) -> None:
    class Forged:
        async def token(self) -> str:
            return "forged-token"

        async def forget(self, token: str) -> None:
            pass

    with pytest.raises(GraphError) as forged:
        await read_mailbox(Forged(), graph)
    identity[0].expires_in = 0  # every token it issues is already expired
    with pytest.raises(GraphError) as expired:
        await read_mailbox(tokens(identity), graph)
    assert [(e.value.status, e.value.code) for e in (forged, expired)] == [(401, "InvalidAuthenticationToken")] * 2
    assert graph.requests and all(r.path.endswith("/delta") for r in graph.requests)


async def test_a_client_that_does_not_trust_the_test_authority_gets_no_token(
        identity: tuple[IdentityServer, TlsFiles]) -> None:
    server, _ = identity
    source = MsalTokens(GraphIdentity(mode="secret", client_id=CLIENT_ID, tenant_id=TENANT, client_secret=SECRET,
                                      authority_host=server.url), http_client=requests.Session())
    with pytest.raises(GraphError, match=r"SSLError.*CERTIFICATE_VERIFY_FAILED"):
        await source.token()


@pytest.mark.parametrize("host", ["http://127.0.0.1:8443", "login.microsoftonline.com"])
def test_a_host_pointed_at_an_authority_that_is_not_https_does_not_start(host: str) -> None:
    settings = load_settings({"DEVOPSBOT_STORAGE_CONNECTION_STRING": "memory", "DEVOPSBOT_GRAPH_AUTH": "secret",
                              "DEVOPSBOT_GRAPH_CLIENT_ID": CLIENT_ID, "DEVOPSBOT_GRAPH_TENANT_ID": TENANT,
                              "DEVOPSBOT_GRAPH_CLIENT_SECRET": SECRET, "DEVOPSBOT_GRAPH_AUTHORITY_HOST": host})
    with pytest.raises(ConfigurationError, match=r"DEVOPSBOT_GRAPH_AUTHORITY_HOST.*https://"):
        Container(settings, in_memory=True).validate()


def test_the_authority_is_the_public_cloud_unless_told_otherwise() -> None:
    settings = load_settings({"DEVOPSBOT_STORAGE_CONNECTION_STRING": "memory", "DEVOPSBOT_GRAPH_AUTH": "secret"})
    assert settings.graph_authority_host == "https://login.microsoftonline.com"
