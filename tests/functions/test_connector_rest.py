"""Proactive Teams calls made directly (bot/connector_rest.py) send what botbuilder's continue_conversation and
create_conversation sent: the same URLs, methods, JSON bodies and Authorization, compared on the Bot Connector
double; and the answers give the same conversation references."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import MessageFactory
from botbuilder.schema import ChannelAccount, Mention
from botframework.connector.auth import MicrosoftAppCredentials

from bot.endpoint import BotIdentity, build_adapter
from bot.references import reference_from_dict, reference_to_dict
from bot.teams_connector import TeamsConnector
from incident.people import Person
from tests.support.botbuilder_path import BotbuilderPath
from tests.support.connector import ConnectorDouble
from tests.support.processes import serving

APP_ID = "devopsbot-test-app"  # not uuid-shaped: the made-up ids are renamed
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Checkout failing é"}],
        "actions": [{"type": "Action.Execute", "verb": "incident.ack", "data": {"incident_id": "INC-1"}}]}


@asynccontextmanager
async def recording() -> AsyncIterator[tuple[ConnectorDouble, list[dict[str, Any]]]]:
    """The Bot Connector double, with every request it gets recorded as sent (path as quoted, body as JSON)."""
    double = ConnectorDouble()
    seen: list[dict[str, Any]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append({"method": request.method, "path": request.raw_path,
                     "body": await request.json() if request.can_read_body else None,
                     "authorization": request.headers.get("Authorization"),
                     "conversation": request.headers.get("x-ms-conversation-id")})
        answer: web.StreamResponse = await handler(request)
        return answer

    app = double.app()
    app.middlewares.append(record)
    async with serving(app) as url:
        double.url = f"{url}/"
        yield double, seen


def home_of(service_url: str) -> dict[str, Any]:
    """The team's home reference as the bot stores it from a Teams message in the incidents channel."""
    return {"activityId": "act-1", "channelId": "msteams", "serviceUrl": service_url, "locale": "en-US",
            "user": {"id": "29:alice", "name": "Alice Martin", "aadObjectId": "aad-alice"},
            "bot": {"id": "28:devopsbot", "name": "devopsbot"},
            "conversation": {"id": "19:team@thread.skype;messageid=1", "conversationType": "channel",
                             "tenantID": "tenant-1", "isGroup": True}}  # as stored


async def every_call(teams: Any, service_url: str) -> list[Any]:
    """Each proactive call TeamsConnector makes in a declaration, with what it answered."""
    home = reference_from_dict(home_of(service_url))
    channels = await teams.team_channels(home, "19:team@thread.skype")
    thread, card_id = await teams.new_thread(home, "19:team@thread.skype", TeamsConnector.card_activity(CARD))
    mention = Mention(mentioned=ChannelAccount(id="29:bob", name="Bob Durand"), text="<at>Bob Durand</at>",
                      type="mention")
    text = MessageFactory.text("<at>Bob Durand</at>, you are the incident commander.")
    text.entities = [mention]
    in_thread = await teams.send(thread, text)
    # A mention whose account is a dict (msrest makes it a ChannelAccount, dropping what it does not know).
    text.entities = [Mention(mentioned={"id": "29:bob", "name": "Bob Durand", "extra": 1}, text="<at>Bob Durand</at>",
                             type="mention")]
    await teams.send(thread, text)
    to_home = await teams.send(home, TeamsConnector.card_activity(CARD))  # a reference with a user and a locale
    await teams.update(thread, card_id, TeamsConnector.card_activity(CARD))
    personal = await teams.personal_chat(home, Person("29:bob", "Bob Durand"), "tenant-1")
    in_chat = await teams.send(personal, TeamsConnector.card_activity(CARD))
    return [channels, reference_to_dict(thread), card_id, in_thread, to_home, reference_to_dict(personal), in_chat]


def made_up_ids_named(found: Any, service_url: str) -> Any:
    """The ids botbuilder makes up for each call (uuids: the continuation turn's, a chat's first activity)
    replaced by their order of appearance, and the double's URL by a name, so two runs compare."""
    names: dict[str, str] = {}
    return _renamed(found, names, service_url)


def _renamed(value: Any, names: dict[str, str], service_url: str) -> Any:
    if isinstance(value, dict):
        return {k: _renamed(v, names, service_url) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(v, names, service_url) for v in value]
    if isinstance(value, str):
        value = value.replace(service_url, "<service url>")
        return UUID.sub(lambda m: names.setdefault(m.group(), f"<id {len(names)}>"), value)
    return value


async def both_ways(app_id: str, password: str = "") -> tuple[Any, Any]:
    identity = BotIdentity(app_id=app_id, app_password=password, tenant_id="tenant-1" if app_id else "")
    runs = []
    for make in (lambda adapter: BotbuilderPath(adapter, app_id),
                 lambda adapter: TeamsConnector(adapter=lambda: adapter, app_id=app_id)):
        adapter = build_adapter(identity)
        teams = make(adapter)
        async with recording() as (double, seen):
            answers = await every_call(teams, double.url)
        if isinstance(teams, TeamsConnector):
            await teams.aclose()
        runs.append(made_up_ids_named([answers, seen], double.url))
    return runs[0], runs[1]


async def test_each_proactive_call_sends_what_botbuilder_sent_without_an_app_id() -> None:
    old, new = await both_ways("")
    assert [r["method"] for r in new[1]] == ["GET", "POST", "POST", "POST", "POST", "PUT", "POST", "POST"]
    assert all(r["authorization"] is None for r in new[1])  # the Playground: no token, as before
    for old_one, new_one in zip(old[1], new[1], strict=True):
        assert new_one == old_one
    assert new == old


async def test_each_proactive_call_sends_botbuilders_token_with_an_app_id(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str, str]] = []

    def token(self: MicrosoftAppCredentials, force_refresh: bool = False) -> str:
        asked.append((self.microsoft_app_id, self.oauth_scope, self.tenant))
        return f"token-of-{self.microsoft_app_id}"

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", token)
    old, new = await both_ways(APP_ID, "secret")
    assert {r["authorization"] for r in new[1]} == {f"Bearer token-of-{APP_ID}"}
    for old_one, new_one in zip(old[1], new[1], strict=True):
        assert new_one == old_one
    assert new == old
    # The same credentials (app id, audience, tenant) asked for each call's token on both paths.
    assert set(asked) == {(APP_ID, "https://api.botframework.com", "tenant-1")}
