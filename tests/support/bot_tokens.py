"""A local OpenID provider for tests: Bot Framework-shaped (or, with ``issuer`` and ``metadata_path``, Entra
tenant-shaped) metadata and keys on 127.0.0.1, and signed tokens.

botbuilder fetches the metadata and the key set with the blocking ``requests`` library from inside the event
loop that runs the bot, so the provider serves from its own thread and event loop: served from the test's loop,
the fetch would wait forever for a server that cannot run.

botbuilder caches the keys per metadata URL for the whole process (a day, refreshed at most hourly for an
unknown key id), so start one provider for the whole test session rather than one per test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"  # the issuer of every channel → bot token
METADATA_PATH = "/.well-known/openidconfiguration"  # the public cloud's spelling, without a hyphen
KEYS_PATH = "/keys"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def entra_metadata_path(tenant: str) -> str:
    """Where an Entra tenant publishes its OpenID metadata, relative to the authority."""
    return f"/{tenant}/v2.0/.well-known/openid-configuration"


def entra_issuers(tenant: str) -> tuple[str, str]:
    """The v1 and v2 issuers of an Entra tenant's tokens, as Entra writes them."""
    return f"https://sts.windows.net/{tenant}/", f"https://login.microsoftonline.com/{tenant}/v2.0"


class OpenIdProvider:
    """Publishes one RSA key (endorsed for ``endorsements``; Entra's keys carry none) and signs tokens with it,
    or with another key."""

    def __init__(self, *, kid: str = "devopsbot-test-key", endorsements: tuple[str, ...] = ("msteams",),
                 issuer: str = BOT_FRAMEWORK_ISSUER, metadata_path: str = METADATA_PATH) -> None:
        self.kid = kid
        self.endorsements = endorsements
        self.issuer = issuer
        self.metadata_path = metadata_path
        self.key = new_key()
        self.served: list[str] = []  # paths fetched, in order: shows botbuilder really asked this provider
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="openid-provider", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return self.base_url + self.metadata_path

    def metadata(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": self.base_url + KEYS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"]}

    def key_set(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid=self.kid, use="sig")
        if self.endorsements:
            jwk["endorsements"] = list(self.endorsements)
        return {"keys": [jwk]}

    def token(self, *, aud: Any, serviceurl: str | None, iss: str | None = None,
              lifetime: int = 3600, expires_in: int | None = None, not_before: int | None = None,
              kid: str | None = None, alg: str = "RS256", key: rsa.RSAPrivateKey | None = None,
              **claims: Any) -> str:
        """A token as the channel issues it: ``expires_in``/``not_before`` are seconds from now (negative for
        the past); ``key`` signs instead of the published key (a forged signature); ``serviceurl=None`` leaves
        that claim out."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": iss or self.issuer, "aud": aud, "iat": now - 60,
                                   "nbf": now - 60 if not_before is None else now + not_before,
                                   "exp": now + (lifetime if expires_in is None else expires_in), **claims}
        if serviceurl is not None:
            payload["serviceurl"] = serviceurl
        return jwt.encode(payload, key or self.key, algorithm=alg, headers={"kid": kid or self.kid})

    def authorization(self, **token_claims: Any) -> dict[str, str]:
        """The Authorization header carrying ``token(**token_claims)``."""
        return {"Authorization": f"Bearer {self.token(**token_claims)}"}

    def start(self) -> OpenIdProvider:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> OpenIdProvider:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get(self.metadata_path, self._json(self.metadata))
        app.router.add_get(KEYS_PATH, self._json(self.key_set))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def _json(self, document: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            self.served.append(request.path)
            return web.json_response(document())
        return handler


def entra_provider(tenant: str) -> OpenIdProvider:
    """An Entra tenant's provider (v2 metadata, keys without endorsements), not started."""
    return OpenIdProvider(kid=f"{tenant}-key", endorsements=(), issuer=entra_issuers(tenant)[1],
                          metadata_path=entra_metadata_path(tenant))
