"""POST /api/messages: Teams-shaped activities in, the bot's replies out; bad bodies refused clearly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import built_function, request, teams_message


async def post(body: bytes | dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    response = await built_function("messages")(request("POST", "messages", body, headers))
    raw = response.get_body()
    return response.status_code, json.loads(raw) if raw else None


def replies(body: Any) -> list[dict[str, Any]]:
    return list(body["activities"])


def help_facts(reply: dict[str, Any]) -> list[str]:
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["version"] == "1.5"
    facts = next(b for b in card["body"] if b["type"] == "FactSet")["facts"]
    return [f["title"] for f in facts]


async def test_help_answers_with_the_command_card(installed: Container) -> None:
    status, body = await post(teams_message("help"))
    assert status == 200
    [reply] = replies(body)
    assert "@devopsbot help" in help_facts(reply)
    assert reply["attachments"][0]["content"]["fallbackText"].startswith("Commands: help")
    assert not reply.get("text")  # text beside the card would show the answer twice


async def test_an_unknown_command_gets_help_not_silence(installed: Container) -> None:
    status, body = await post(teams_message("frobnicate the <b>servers</b>"))
    [reply] = replies(body)
    card = reply["attachments"][0]["content"]
    assert status == 200
    assert card["body"][1]["text"] == "I don't know the command 'frobnicate'."
    assert card["fallbackText"].startswith("I don't know the command 'frobnicate'. Commands: help")
    assert "@devopsbot help" in help_facts(reply)


async def test_a_personal_chat_without_mention_works(installed: Container) -> None:
    activity = teams_message("help", conversation="a:personal-1")
    activity["text"] = "help"
    activity["entities"] = []
    activity["conversation"]["conversationType"] = "personal"
    _, body = await post(activity)
    assert "help" in help_facts(replies(body)[0])  # no mention needed here, so the help shows none


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe\x00", 400, "not valid UTF-8"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b'{"text": "hello"}', 400, "not a Bot Framework activity"),
    (b"x" * (256 * 1024 + 1), 413, "larger than"),
])
async def test_a_malformed_body_is_refused_with_a_clear_message(installed: Container, body: bytes, status: int,
                                                              message: str) -> None:
    got_status, got = await post(body)
    assert got_status == status
    assert message in got["error"]


async def test_another_tenant_is_refused(policy: OrganisationPolicy) -> None:
    container = Container(Settings(storage_connection_string="memory", allowed_tenants=("tenant-1",)),
                          in_memory=True, policy=policy)
    bootstrap.reset_container(container)
    try:
        status, body = await post(teams_message("help", tenant="tenant-evil"))
    finally:
        bootstrap.reset_container(None)
    assert status == 403
    assert body == {"error": "this tenant is not allowed to use this bot"}


async def test_with_an_app_id_a_request_without_a_token_is_refused(policy: OrganisationPolicy) -> None:
    settings = Settings(storage_connection_string="memory", bot_app_id="00000000-0000-0000-0000-000000000001",
                        bot_app_password="secret", bot_tenant_id="tenant-1", allowed_tenants=("tenant-1",))
    bootstrap.reset_container(Container(settings, in_memory=True, policy=policy))
    try:
        status, body = await post(teams_message("help"))
        forged_status, _ = await post(teams_message("help"), {"Authorization": "Bearer not.a.jwt"})
    finally:
        bootstrap.reset_container(None)
    assert (status, forged_status) == (401, 401)
    assert body == {"error": "missing or invalid Bot Framework token"}


async def test_a_bot_failure_answers_politely_without_a_traceback(installed: Container) -> None:
    from bot.endpoint import BotEndpoint, BotIdentity
    from bot.locale import Translator
    from bot.turn_handler import DevOpsBot

    class BrokenBot(DevOpsBot):
        async def on_message_activity(self, turn_context: Any) -> None:
            raise RuntimeError("database exploded at line 42")

    endpoint = BotEndpoint(BotIdentity(), bot=BrokenBot(installed.bus, installed.teams_setup))
    result = await endpoint.handle(teams_message("help"), "")
    [reply] = result.body["activities"]
    assert result.status == 200
    assert reply["text"] == Translator("en")("reply.failure")
    assert "exploded" not in json.dumps(result.body)


async def test_an_activity_that_does_not_deserialize_is_a_400(installed: Container) -> None:
    status, body = await post({"type": "message", "timestamp": "yesterday"})
    assert status == 400
    assert body["error"].startswith("the body is not a valid Bot Framework activity")
