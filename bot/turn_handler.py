"""The Teams activity handler: understands a message and answers it, never with silence."""

from __future__ import annotations

import logging

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from bot.commands import parse_command
from bot.replies import help_card, help_text

log = logging.getLogger(__name__)


class DevOpsBot(TeamsActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        TurnContext.remove_recipient_mention(turn_context.activity)
        command = parse_command(turn_context.activity.text or "")
        # Only 'help' exists so far; anything else gets help with a note, never silence.
        unknown = "" if command.known or not command.name else command.name
        await self._send_help(turn_context, unknown)

    async def _send_help(self, turn_context: TurnContext, unknown: str) -> None:
        # The card alone (its fallbackText covers clients without cards): text beside a card shows twice.
        card = help_card(unknown)
        reply = MessageFactory.attachment(CardFactory.adaptive_card(card))
        reply.summary = help_text(unknown)
        await turn_context.send_activity(reply)
