"""The signing-key cache: fetched once, kept a day, refetched for an unknown key id at most every five minutes,
and an unreachable provider refuses tokens without being asked again on every request."""

from __future__ import annotations

from typing import Any

import pytest
from jwt.algorithms import RSAAlgorithm

from adapters.openid_tokens import InvalidToken, OpenIdKeys
from tests.support.bot_tokens import new_key

METADATA = "https://login.example/tenant/v2.0/.well-known/openid-configuration"
KEYS = "https://login.example/tenant/discovery/v2.0/keys"


class Provider:
    """Answers the metadata and key set from memory, counting fetches; ``down`` makes every fetch fail."""

    def __init__(self) -> None:
        self.kids = ["k1"]
        self.fetches: list[str] = []
        self.down = False
        self.now = 1000.0
        self._public = new_key().public_key()

    async def fetch(self, url: str) -> Any:
        self.fetches.append(url)
        if self.down:
            raise OSError("connection refused")
        if url == METADATA:
            return {"jwks_uri": KEYS}
        jwks = [{**RSAAlgorithm.to_jwk(self._public, as_dict=True), "kid": kid, "use": "sig"} for kid in self.kids]
        return {"keys": jwks}

    def keys(self) -> OpenIdKeys:
        return OpenIdKeys(METADATA, fetch=self.fetch, monotonic=lambda: self.now)


async def test_keys_are_fetched_once_and_kept_for_a_day() -> None:
    provider = Provider()
    keys = provider.keys()
    for _ in range(3):
        await keys.key("k1")
    assert provider.fetches == [METADATA, KEYS]
    provider.now += 24 * 3600 + 1
    await keys.key("k1")
    assert provider.fetches == [METADATA, KEYS] * 2


async def test_an_unknown_key_id_refetches_at_most_every_five_minutes() -> None:
    provider = Provider()
    keys = provider.keys()
    await keys.key("k1")
    for _ in range(3):
        with pytest.raises(InvalidToken, match="no key 'k2'"):
            await keys.key("k2")
    assert len(provider.fetches) == 2
    provider.kids.append("k2")  # the provider rolls a new key
    provider.now += 301
    await keys.key("k2")
    assert len(provider.fetches) == 4


async def test_an_unreachable_provider_refuses_and_is_asked_again_only_after_five_minutes() -> None:
    provider = Provider()
    provider.down = True
    keys = provider.keys()
    with pytest.raises(InvalidToken, match="could not be fetched"):
        await keys.key("k1")
    for _ in range(3):
        with pytest.raises(InvalidToken):
            await keys.key("k1")
    assert provider.fetches == [METADATA]
    provider.down = False
    provider.now += 301
    await keys.key("k1")
    assert provider.fetches == [METADATA, METADATA, KEYS]
