"""Bearer JWTs checked against the keys an OpenID provider publishes: the one validation behind the bot's
tenant-issued channel tokens (bot/channel_tokens.py) and the pages' Entra ID sign-in (functions/signed_in.py).

A token passes only when it is RS256-signed by a key the provider lists under the token's key id, names one of
the expected issuers and audiences, and is inside its lifetime (five minutes of clock skew, as botbuilder
allows). Keys are fetched once and kept for a day; a key id nobody published makes at most one new fetch per
five minutes, so a stream of made-up key ids cannot turn every request into a fetch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256",)  # what Entra ID and Bot Framework sign with; never "none", never an HMAC
CLOCK_SKEW_SECONDS = 300
KEYS_TTL_SECONDS = 24 * 3600
UNKNOWN_KEY_REFETCH_SECONDS = 300
MAX_TOKEN_CHARS = 16_384  # Entra tokens are a few kB; anything far larger is refused before parsing
MAX_DOCUMENT_BYTES = 1_000_000
FETCH_TIMEOUT_SECONDS = 10
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class InvalidToken(Exception):
    """A bearer token that is malformed, unsigned, wrongly signed, expired, not yet valid, or for someone else.
    ``str(error)`` says which, for the log; callers answer 401 whatever it says."""


FetchJson = Callable[[str], Awaitable[Any]]


async def fetch_json(url: str) -> Any:
    """GET a JSON document (OpenID metadata or a key set)."""
    import aiohttp  # not at import: function_app loads nothing heavy

    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.content.iter_chunked(65_536):
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise ValueError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(body)


def entra_issuers(tenant_id: str) -> tuple[str, str]:
    """The issuers of the tenant's v1 and v2 tokens."""
    return f"https://sts.windows.net/{tenant_id}/", f"{ENTRA_AUTHORITY}/{tenant_id}/v2.0"


def entra_metadata_url(tenant_id: str) -> str:
    """Where the tenant publishes its OpenID metadata (and so its signing keys)."""
    return f"{ENTRA_AUTHORITY}/{tenant_id}/v2.0/.well-known/openid-configuration"


def sign_in_audiences(client_id: str, public_url: str) -> tuple[str, ...]:
    """How a token names the app registration people sign in with: its client id (v2 tokens) or its Application
    ID URI (v1 tokens), api://{client id} or, as Teams single sign-on wants it, api://{host}/{client id}."""
    host = urlsplit(public_url).hostname or ""
    return client_id, f"api://{client_id}", f"api://{host}/{client_id}"


def unverified_issuer(token: str) -> str:
    """The issuer a token claims, unchecked: only to choose which keys and rules check it; "" if unreadable."""
    if len(token) > MAX_TOKEN_CHARS:
        return ""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return ""
    return issuer if isinstance(issuer, str) else ""


class OpenIdKeys:
    """The signing keys published through one OpenID metadata document, fetched when needed and cached."""

    def __init__(self, metadata_url: str, *, fetch: FetchJson = fetch_json,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.metadata_url = metadata_url
        self._fetch = fetch
        self._monotonic = monotonic
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock: asyncio.Lock | None = None

    async def key(self, kid: str) -> Any:
        """The public key published under ``kid``; InvalidToken when there is none."""
        if self._stale() or (kid not in self._keys and self._may_refetch()):
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:  # concurrent first requests share one fetch
                if self._stale() or (kid not in self._keys and self._may_refetch()):
                    await self._refresh()
        found = self._keys.get(kid)
        if found is None:
            raise InvalidToken(f"no key '{kid[:64]}' is published at {self.metadata_url}")
        return found

    def _stale(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at > KEYS_TTL_SECONDS

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at > UNKNOWN_KEY_REFETCH_SECONDS

    async def _refresh(self) -> None:
        try:
            metadata = await self._fetch(self.metadata_url)
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str) or not _fetchable(jwks_uri):
                raise ValueError("the metadata names no https:// jwks_uri")
            key_set = await self._fetch(jwks_uri)
        except Exception as error:  # network, HTTP status, JSON: the token cannot be checked, so it is refused
            # Keep the keys known so far; try again after the refetch interval, not on the next request.
            self._fetched_at = self._monotonic()
            log.warning("could not fetch the signing keys from %s (%s)", self.metadata_url, error)
            raise InvalidToken(f"the signing keys at {self.metadata_url} could not be fetched") from None
        self._keys = _public_keys(key_set)
        self._fetched_at = self._monotonic()


def _fetchable(url: str) -> bool:
    """Keys come over HTTPS, or plain HTTP from this machine (a test's local provider)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def _public_keys(key_set: Any) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for jwk in key_set.get("keys", []) if isinstance(key_set, dict) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            continue
        if not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError:
            continue  # one unreadable key does not hide the others
    return keys


@dataclass(frozen=True)
class TokenRules:
    """Whose tokens are accepted: any of ``issuers``, for any of ``audiences``."""

    issuers: tuple[str, ...]
    audiences: tuple[str, ...]


class TokenValidator:
    def __init__(self, keys: OpenIdKeys, rules: TokenRules) -> None:
        self.keys = keys
        self.rules = rules

    async def claims(self, token: str) -> dict[str, Any]:
        """The token's claims once every check passed; InvalidToken otherwise."""
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token is malformed ({error})") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"the token's algorithm {str(header.get('alg'))[:20]!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key")
        key = await self.keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=list(ALGORITHMS), audience=list(self.rules.audiences),
                issuer=list(self.rules.issuers), leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True})
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token was refused ({type(error).__name__}: {error})") from None
        return claims
