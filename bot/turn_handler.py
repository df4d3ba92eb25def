"""The Teams activity handler: receives each activity, handles a repeated delivery once, finds the handler of
its text command or card verb in the verb table (bot/verb_table.py), and maps refusals and failures to an
answer, never a silent failure. Card actions arrive as Action.Execute invokes (or as a submit from older
clients)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity

from adapters.templates import markdown_escape
from bot.choice_search import SEARCH_INVOKE, search_response
from bot.commands import parse_command, without_recipient_mention
from bot.home_team import HomeTeamMemory
from bot.locale import Translator
from bot.person_language import PersonLanguageMemory
from bot.replies import unknown_command
from bot.setup import TeamsSetup
from bot.timeline_capture import FETCH_TASK, task_message
from bot.turns import Answer, Turns, bot_id_of, guarded, in_personal_chat
from bot.verb_table import verb_table
from services.bus import MessageBus
from services.once import once

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
DELIVERY_LEASE = timedelta(minutes=2)
FAILED = "devopsbot.failed"  # turn_state flag: the turn answered but did not do its work
# Verbs whose command carries an idempotency key of its own, derived from the submitted form, so a repeated
# delivery of the same activity is recognised there (and answered with what the first one made).
SELF_DEDUPLICATING_VERBS = frozenset({"declare.submit"})
READ_ONLY_INVOKES = frozenset({SEARCH_INVOKE, FETCH_TASK})  # nothing changes: no claim for each one


def card_action(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The verb and data of a card button: Action.Execute (an ``adaptiveCard/action`` invoke) or the
    Action.Submit fallback (a message whose value names the verb); ("", {}) for anything else."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if activity.type == "invoke":
        found = value.get("action") if activity.name == "adaptiveCard/action" else None
        action: dict[str, Any] = found if isinstance(found, dict) else {}
        given = action.get("data")
        return str(action.get("verb", "")), given if isinstance(given, dict) else {}
    if activity.type == "message" and isinstance(value.get("verb"), str):
        return value["verb"], value
    return "", {}


class DevOpsBot(TeamsActivityHandler):
    def __init__(self, bus: MessageBus, setup: TeamsSetup, *, app_id: str = "") -> None:
        self.bus = bus
        self.deps = bus.dependencies
        self.setup = setup
        self.app_id = app_id
        self.home = HomeTeamMemory(bus.dependencies)
        self.languages = PersonLanguageMemory(bus.dependencies)  # each person's mail in their Teams language
        table = verb_table(Turns(bus, setup))
        self.commands = table.commands
        self.verbs = table.verbs
        self.invokes = table.invokes

    # -- dispatch ------------------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.home.remember(turn_context)
        await self.languages.remember(turn_context)
        key = self._delivery_key(turn_context)  # a failed turn is released: Teams' retry must do the work again
        async with once(self.deps.idempotency, key, self.deps.clock.now(), DELIVERY_LEASE) as claim:
            if not claim.owned:
                log.info("ignored a repeated delivery of activity %s", turn_context.activity.id)
                if turn_context.activity.type == "invoke":  # Teams still waits for an answer to the retry
                    t = Translator(turn_context.activity.locale)
                    body = (task_message(t("reply.repeat")) if turn_context.activity.name in self.invokes
                            else {"statusCode": 200, "type": MESSAGE, "value": t("reply.repeat")})
                    await turn_context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(
                        status=200, body=body)))
                return
            await super().on_turn(turn_context)
            if turn_context.turn_state.get(FAILED):
                claim.release_instead()  # answered politely, but nothing was done

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        t = Translator(turn_context.activity.locale)
        verb, value = card_action(turn_context.activity)
        if verb in self.verbs:  # Action.Submit fallback
            answer = await self._run_verb(turn_context, verb, value, t)
        else:
            activity = turn_context.activity  # the bot's mention leaves the text commands read
            activity.text = without_recipient_mention(activity.text or "", activity.entities, bot_id_of(turn_context))
            command = parse_command(activity.text)
            handler = self.commands.get(command.name)
            if handler is None:
                text, card = unknown_command(t, command.name, personal=in_personal_chat(turn_context))
                answer = Answer(card=card, text=text)
            else:
                answer = await guarded(lambda: handler(turn_context, command.arguments, t), t, typed=True)
        await self._send(turn_context, answer)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Action.Execute: the answer replaces the clicked card, or shows as a message. (Answered here:
        botbuilder's own path cannot serialise a message answer, whose value is a string.)"""
        if turn_context.activity.name == SEARCH_INVOKE:  # type-ahead in the declaration form's long lists
            return InvokeResponse(status=200, body=search_response(self.deps.policy, turn_context.activity.value))
        t = Translator(turn_context.activity.locale)
        invoke = self.invokes.get(turn_context.activity.name or "")
        if invoke is not None:  # the message action (bot/timeline_capture.py)
            try:
                return InvokeResponse(status=200, body=await invoke(turn_context, t))
            except Exception:  # an answer even now, as for a card action
                log.exception("invoke %r failed", turn_context.activity.name)
                turn_context.turn_state[FAILED] = True
                return InvokeResponse(status=200, body=task_message(t("reply.failure")))
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        verb, data = card_action(turn_context.activity)
        try:
            answer = await self._run_verb(turn_context, verb, data, t)
        except Exception:  # an answer even now: without one Teams shows the user an error
            log.exception("card action %r failed", verb[:60])
            turn_context.turn_state[FAILED] = True
            answer = Answer(text=t("reply.failure"))
        if answer.card is not None:
            body = {"statusCode": 200, "type": CARD, "value": answer.card}
        else:
            body = {"statusCode": 200, "type": MESSAGE, "value": answer.text}
        return InvokeResponse(status=200, body=body)

    async def _run_verb(self, turn_context: TurnContext, verb: str, data: dict[str, Any], t: Translator) -> Answer:
        handler = self.verbs.get(verb)
        if handler is None:
            log.warning("refused a card action with unknown verb %r", verb[:60])
            return Answer(text=t("reply.stale", reason=t("reply.unknown_action", verb=markdown_escape(verb[:60]))))
        return await guarded(lambda: handler(turn_context, data, t), t)

    @staticmethod
    async def _send(turn_context: TurnContext, answer: Answer) -> None:
        if answer.card is not None:
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(answer.card)))
        elif answer.text:
            await turn_context.send_activity(MessageFactory.text(answer.text))

    @staticmethod
    def _delivery_key(turn_context: TurnContext) -> str:
        """Teams retries anything slower than 15 s: a repeated activity id is handled once. A card click whose
        command carries its own idempotency key needs no second claim (two storage requests fewer)."""
        activity = turn_context.activity
        if activity.type not in ("message", "invoke") or not activity.id or activity.name in READ_ONLY_INVOKES:
            return ""  # (a type-ahead search, or opening the message action's dialog, changes nothing: no claim)
        if activity.type == "invoke" and card_action(activity)[0] in SELF_DEDUPLICATING_VERBS:
            return ""  # (an Action.Submit message repeated would be answered twice in the chat: claimed)
        return f"activity:{activity.conversation.id if activity.conversation else ''}:{activity.id}"
