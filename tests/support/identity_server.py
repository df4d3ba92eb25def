"""Entra ID's token endpoint over HTTPS on 127.0.0.1, for `serve` processes (msal in another process).

``IdentityServer`` answers what msal's client-credentials flow asks of the Microsoft identity platform — the
tenant's OpenID configuration and ``/oauth2/v2.0/token`` — as strictly as the real one for what devopsbot
uses: an unknown tenant, an unknown client, a wrong client secret, a grant other than client_credentials or
a scope other than ``https://graph.microsoft.com/.default`` are refused with Entra's error codes; a token is
random, expires, and is valid only for Graph (``GraphDouble.accepts``). The app registration may have several
client secrets (Entra allows more than one): each is named, and every token remembers which secret it was
issued for, so a test can tell the hosts of a fleet apart by giving each its own secret.

msal accepts only an https authority: ``tls_files`` makes a throwaway certificate authority and a server
certificate for 127.0.0.1; a process trusts it through REQUESTS_CA_BUNDLE (msal uses requests).
"""

from __future__ import annotations

import base64
import secrets
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from urllib.parse import unquote

import requests
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.processes import free_port

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"


@dataclass(frozen=True)
class TlsFiles:
    ca_bundle: Path  # the authority's certificate: what a client trusts
    certificate: Path  # the server's certificate, signed by the authority
    key: Path


def tls_files(directory: Path) -> TlsFiles:
    """A certificate authority made for this run and a certificate for 127.0.0.1 it signed (one day)."""
    now = datetime.now(UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devopsbot test authority")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
          .not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
              .not_valid_after(now + timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    files.ca_bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    return files


def trusting(files: TlsFiles) -> requests.Session:
    """A requests session (msal's ``http_client``) that trusts the test authority, as REQUESTS_CA_BUNDLE makes
    a `serve` process do; not the environment's bundle, which would win over ``verify``."""
    session = requests.Session()
    session.trust_env, session.verify = False, str(files.ca_bundle)
    return session


@dataclass(frozen=True)
class Issued:
    secret_name: str  # which of the app's client secrets asked for it
    expires_at: float  # time.time()


def oauth_error(status: int, error: str, code: str, description: str) -> web.Response:
    """An error as the identity platform words it: the AADSTS code leads the description."""
    return web.json_response({"error": error, "error_description": f"{code}: {description}",
                              "error_codes": [int(code.removeprefix("AADSTS"))],
                              "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
                              "trace_id": secrets.token_hex(16)}, status=status)


@dataclass
class IdentityServer:
    """One tenant with one app registration (``client_id``) and its client ``secrets`` (name -> value)."""

    tenant: str
    client_id: str
    secrets: dict[str, str]
    expires_in: int = 3599
    url: str = ""  # https://127.0.0.1:port, the authority host
    issued: dict[str, Issued] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # the OAuth error of each refused token request
    discovery_requests: int = 0

    def accepts(self, token: str) -> bool:
        """A token this server issued for Graph that has not expired."""
        found = self.issued.get(token)
        return found is not None and found.expires_at > time.time()

    def holder(self, token: str) -> str:
        """The name of the secret ``token`` was issued for ("" if none)."""
        found = self.issued.get(token)
        return found.secret_name if found else ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._configuration)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        return app

    def _unknown_tenant(self, request: web.Request) -> web.Response | None:
        tenant = request.match_info["tenant"]
        if tenant == self.tenant:
            return None
        return oauth_error(400, "invalid_tenant", "AADSTS90002", f"Tenant '{tenant}' not found. Check to make sure "
                                                                 "you have the correct tenant ID.")

    async def _configuration(self, request: web.Request) -> web.Response:
        if (refused := self._unknown_tenant(request)) is not None:
            return refused
        self.discovery_requests += 1
        authority = f"{self.url}/{self.tenant}"
        return web.json_response({"issuer": f"{authority}/v2.0", "token_endpoint": f"{authority}/oauth2/v2.0/token",
                                  "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                                  "jwks_uri": f"{authority}/discovery/v2.0/keys",
                                  "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                                            "client_secret_basic",
                                                                            "private_key_jwt"],
                                  "response_types_supported": ["code", "id_token", "token"]})

    async def _token(self, request: web.Request) -> web.Response:
        answer = self._unknown_tenant(request) or self._grant(dict(await request.post()),
                                                              request.headers.get("Authorization", ""))
        if answer.status != 200:
            self.refused.append(str(answer.text))
        return answer

    def _grant(self, form: dict[str, object], authorization: str) -> web.Response:
        fields = {k: str(v) for k, v in form.items()}
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret", "")
        if authorization.startswith("Basic "):  # client_secret_basic: both URL-encoded, then base64
            user, _, password = base64.b64decode(authorization.removeprefix("Basic ")).decode().partition(":")
            client_id, secret = unquote(user), unquote(password)
        if fields.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "AADSTS70003",
                               "The app requested an unsupported grant type.")
        if client_id != self.client_id:
            return oauth_error(400, "unauthorized_client", "AADSTS700016",
                               f"Application with identifier '{client_id}' was not found in the directory "
                               f"'{self.tenant}'.")
        names = [name for name, value in self.secrets.items() if secrets.compare_digest(value, secret)]
        if not secret or not names:
            return oauth_error(401, "invalid_client", "AADSTS7000215", "Invalid client secret provided. Ensure the "
                                                                       "secret being sent in the request is the "
                                                                       "client secret value, not the client "
                                                                       "secret ID.")
        scope = fields.get("scope", "")
        if not scope:
            return oauth_error(400, "invalid_request", "AADSTS900144",
                               "The request body must contain the following parameter: 'scope'.")
        if scope.split() != [GRAPH_DEFAULT_SCOPE]:
            return oauth_error(400, "invalid_scope", "AADSTS1002012",
                               f"The provided value for scope {scope} is not valid. Client credential flows must "
                               "have a scope value with /.default suffixed to the resource identifier "
                               "(application ID URI).")
        token = secrets.token_urlsafe(32)
        self.issued[token] = Issued(names[0], time.time() + self.expires_in)
        return web.json_response({"token_type": "Bearer", "expires_in": self.expires_in,
                                  "ext_expires_in": self.expires_in, "access_token": token})


@asynccontextmanager
async def running_identity(directory: Path, *, tenant: str, client_id: str,
                           client_secrets: dict[str, str]) -> AsyncIterator[tuple[IdentityServer, TlsFiles]]:
    """The identity server on https://127.0.0.1:<free port>, with the TLS files a client needs to trust it."""
    files = tls_files(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certificate, files.key)
    server = IdentityServer(tenant, client_id, dict(client_secrets))
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    server.url = f"https://127.0.0.1:{port}"
    try:
        yield server, files
    finally:
        await runner.cleanup()
