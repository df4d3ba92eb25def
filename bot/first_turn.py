"""What botbuilder does on the first activity of a process, done ahead by the warm-up (devopsbot/warmup.py).

- The keys that sign Bot Framework's channel tokens: botbuilder fetches them on the first activity with
  blocking HTTP calls (``requests``), holding that turn and every other request of the process meanwhile.
- Reading and writing an activity: the first timestamp compiles isodate's regular expressions and msrest
  builds its model tables, a quarter of a warmed process's first turn."""

from __future__ import annotations

import asyncio
import logging

from botbuilder.schema import Activity
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


def read_and_write_an_activity() -> None:
    """An activity shaped like Teams' (a timestamp, a sender, a conversation) read and written once."""
    activity = Activity().deserialize({
        "type": "message", "id": "warm-up", "timestamp": "2026-01-01T00:00:00.000Z", "channelId": "msteams",
        "localTimestamp": "2026-01-01T01:00:00.000+01:00", "serviceUrl": "https://127.0.0.1/",
        "from": {"id": "29:warm-up", "name": "warm-up", "aadObjectId": "warm-up"},
        "recipient": {"id": "28:warm-up", "name": "warm-up"},
        "conversation": {"id": "warm-up", "conversationType": "channel", "tenantId": "warm-up"},
        "entities": [{"type": "mention", "text": "<at>warm-up</at>"}], "channelData": {"tenant": {"id": "warm-up"}},
        "text": "warm-up"})
    activity.create_reply("warm-up").serialize()
