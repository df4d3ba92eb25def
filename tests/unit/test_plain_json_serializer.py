"""Teams messages are serialized by the reused connector clients exactly as msrest serializes them, cards passed
through as they are (bot/connector_cost.py ``PlainJsonSerializer``)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ChannelAccount, Mention
from botframework.connector import models
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest import Serializer

from bot.connector_cost import PLAIN_DEPTH, PlainJsonSerializer, serialize_cards_cheaply
from incident.policy import OrganisationPolicy
from tests.unit.every_card import every_card

MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}


class Colour(enum.IntEnum):
    RED = 1


def both(activity: Activity) -> tuple[Any, Any]:
    return Serializer(MODELS).body(activity, "Activity"), PlainJsonSerializer(MODELS).body(activity, "Activity")


def test_every_card_is_serialized_as_msrest_serializes_it(policy: OrganisationPolicy) -> None:
    cards = every_card(policy)
    assert len(cards) > 50
    for name, card in cards.items():
        msrest, plain = both(MessageFactory.attachment(CardFactory.adaptive_card(card)))
        assert plain == msrest, name


def test_a_message_with_mentions_and_a_value_is_serialized_as_msrest_serializes_it() -> None:
    activity = MessageFactory.text("<at>Alice</at> please look")
    activity.entities = [Mention(mentioned=ChannelAccount(id="29:alice", name="Alice"), text="<at>Alice</at>",
                                 type="mention")]
    activity.value = {"verb": "incident.update", "data": {"incident_id": "INC-2026-0001", "n": 3, "ok": True,
                                                         "none": None, "ratio": 0.5, "list": [1, "two", []]}}
    msrest, plain = both(activity)
    assert plain == msrest


def test_values_that_are_not_plain_json_are_left_to_msrest() -> None:
    when = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    deep: Any = "leaf"
    for _ in range(PLAIN_DEPTH + 2):
        deep = {"next": deep}
    for value in ({"at": when}, [Colour.RED], {"colour": Colour.RED}, {1: "a number as a key"}, deep):
        activity = MessageFactory.text("text")
        activity.value = value
        msrest, plain = both(activity)
        assert plain == msrest, value


def test_a_reused_connector_client_serializes_with_it() -> None:
    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url="https://smba.example/")
    serialize_cards_cheaply(client)
    assert isinstance(client.conversations._serialize, PlainJsonSerializer)
    assert isinstance(client.attachments._serialize, PlainJsonSerializer)
