"""Who a lean Table Storage request (``adapters.table_http``) is signed as: the account key, signed exactly as
azure-data-tables signs (SharedKey), or a bearer token from the managed identity, cached until five minutes
before it expires. The account, key and endpoint come from the SDK's own parse of the connection string.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from typing import Any, Protocol

STORAGE_SCOPE = "https://storage.azure.com/.default"
REFRESH_BEFORE = 300.0  # seconds before a token expires when a fresh one is asked for
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_date_cache: list[Any] = [-1, ""]


def http_date(now: float | None = None) -> str:
    """RFC 1123 date of ``now`` (the x-ms-date header), computed once per second."""
    second = int(time.time() if now is None else now)
    if _date_cache[0] != second:
        t = time.gmtime(second)
        _date_cache[:] = [second, f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
                                  f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"]
    return str(_date_cache[1])


class Signer(Protocol):
    async def authorize(self, method: str, path: str, headers: dict[str, str]) -> None:
        """Add the Authorization header for a request to ``path`` (the URL's encoded path)."""

    def renew(self) -> bool:
        """After a 401: whether a new credential could make the request succeed (it will be fetched)."""


class SharedKey:
    """The account key's SharedKey signature for the Table service: verb, Content-MD5, Content-Type, date and the
    canonicalized resource (/account plus the encoded path; entity operations carry no ``comp`` parameter)."""

    def __init__(self, account: str, key: str) -> None:
        self.account = account
        self._key = base64.b64decode(key)

    def signature(self, method: str, path: str, headers: dict[str, str]) -> str:
        to_sign = (f"{method}\n{headers.get('Content-MD5', '')}\n{headers.get('Content-Type', '')}\n"
                   f"{headers.get('x-ms-date', '')}\n/{self.account}{path}")
        digest = hmac.new(self._key, to_sign.encode("utf-8"), hashlib.sha256).digest()
        return f"SharedKey {self.account}:{base64.b64encode(digest).decode('ascii')}"

    async def authorize(self, method: str, path: str, headers: dict[str, str]) -> None:
        headers["Authorization"] = self.signature(method, path, headers)

    def renew(self) -> bool:
        """Nothing to renew: a refused account key stays refused."""
        return False


class BearerToken:
    """A token for Azure Storage from an async TokenCredential (the managed identity), fetched once per lifetime."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential
        self._token = ""
        self._refresh_at = 0.0
        self._lock: asyncio.Lock | None = None

    async def authorize(self, method: str, path: str, headers: dict[str, str]) -> None:
        if time.time() >= self._refresh_at:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if time.time() >= self._refresh_at:
                    token = await self._credential.get_token(STORAGE_SCOPE)
                    self._token, self._refresh_at = token.token, float(token.expires_on) - REFRESH_BEFORE
        headers["Authorization"] = f"Bearer {self._token}"

    def renew(self) -> bool:
        """Storage refused the token (401): the next request fetches a new one, as the SDK's challenge policy does."""
        self._refresh_at = 0.0
        return True


def signer_for(credential: Any) -> Signer | None:
    """The signer for what the SDK parsed from the connection string or was given; None for what this client
    does not sign (a SAS token): those tables keep the SDK's client."""
    named_key = getattr(credential, "named_key", None)
    if named_key is not None:
        return SharedKey(named_key.name, named_key.key)
    if callable(getattr(credential, "get_token", None)):
        return BearerToken(credential)
    return None
