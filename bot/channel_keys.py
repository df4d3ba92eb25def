"""The keys that sign Bot Framework's channel tokens, fetched before the first turn needs them.

botbuilder fetches them on the first activity with blocking HTTP calls (``requests``), holding that turn and
every other request of the process meanwhile; the warm-up fetches them into botbuilder's own cache instead."""

from __future__ import annotations

import asyncio
import logging

from botframework.connector.auth import JwtTokenExtractor

from bot.endpoint import BotIdentity, _public_cloud_validation

log = logging.getLogger(__name__)


def prefetch_channel_keys(identity: BotIdentity) -> bool:
    """Fill botbuilder's key cache for the channel's metadata URL. False when there is nothing to fetch (no app
    id: tokens are not checked), when called on an event loop, or when the fetch failed: the first turn then
    fetches them, as it always did."""
    if not identity.app_id or _on_a_loop():  # on the serving loop, the first turn fetches them as it always did
        return False
    url = _public_cloud_validation(identity).TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    metadata = JwtTokenExtractor.get_open_id_metadata(url)
    try:
        # A coroutine with a blocking body, run where blocking is fine (a warm-up thread); its public get()
        # would fail on the unknown key id a warm-up would have to pass.
        asyncio.run(metadata._refresh())
    except Exception as error:
        log.warning("warm-up: the Bot Framework signing keys could not be fetched from %s: %s", url, error)
        return False
    return True


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
