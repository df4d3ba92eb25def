"""A person in the Agents Playground (local Teams) asks for help and gets the bot's answer,
through the real local Functions host, in a channel, a group chat and a personal chat."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.playground import Playground, thread_id

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]


def is_help_card(event: dict[str, Any]) -> bool:
    for attachment in event["message"].get("attachments") or []:
        card = attachment.get("content") or {}
        facts = [b for b in card.get("body", []) if b.get("type") == "FactSet"]
        if facts and any(f["title"] in ("@devopsbot help", "help") for f in facts[0]["facts"]):
            return True
    return False


async def test_the_mock_team_has_the_broadcast_channel(playground: Playground) -> None:
    [team] = playground.mock["teams"]
    assert [c["name"] for c in team["channels"]] == ["General", "broadcast"]


async def test_help_in_a_channel_is_answered_in_its_thread(playground: Playground) -> None:
    mark = playground.mark()
    posted = await playground.send_message(playground.mock["teams"][0]["id"], "help")
    reply = await playground.wait_for_message(is_help_card, conversation_id=posted["postConversationId"],
                                              since=mark, timeout=30)
    assert thread_id(reply) == posted["postConversationId"]


@pytest.mark.parametrize("chat", ["group", "personal"])
async def test_help_in_chats_is_answered(playground: Playground, chat: str) -> None:
    mock = playground.mock
    conversation = mock["groupChats"][0]["id"] if chat == "group" else mock["personalChat"]["id"]
    mark = playground.mark()
    await playground.send_message(conversation, "help")
    await playground.wait_for_message(is_help_card, conversation_id=conversation, since=mark, timeout=30)


async def test_an_unknown_command_gets_help_in_the_playground(playground: Playground) -> None:
    conversation = playground.mock["personalChat"]["id"]
    mark = playground.mark()
    await playground.send_message(conversation, "dance", mention_bot=False)
    reply = await playground.wait_for_message(is_help_card, conversation_id=conversation, since=mark, timeout=30)
    card = reply["message"]["attachments"][0]["content"]
    assert card["body"][1]["text"] == "I don't know the command 'dance'."
