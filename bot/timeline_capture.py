"""What people say, into the incident's timeline from Teams: ``note <text>`` and ``note! <text>`` (a key event)
typed in an incident's thread, and the "Add to incident timeline" message action: a message extension action
command (appPackage/manifest.json) that asks which incident in a dialog (``composeExtension/fetchTask``) and adds
the message, its author, time and a link back, on submit (``composeExtension/submitAction``). The submit is one
command on the bus; what follows it runs after the answer, well within Teams' five seconds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape, render_card
from bot.actions import choice_input, toggle_input
from bot.card_times import card_date_time
from bot.locale import Translator
from bot.notifier import incident_of_conversation
from bot.submissions import CaptureAction, parse_payload
from bot.turns import Answer, Turns, actor_of, guarded
from bot.views import cut
from incident.access import Action, permits
from incident.errors import NotFound
from incident.instants import parse_instant
from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.note_commands import AddNote, PinNote
from incident.notes import Source, notes_of
from services.handlers import open_incidents
from services.html_text import html_to_text

CAPTURE_COMMAND = "addToTimeline"  # the command's id in appPackage/manifest.json
FETCH_TASK = "composeExtension/fetchTask"
SUBMIT_ACTION = "composeExtension/submitAction"
CARD = "application/vnd.microsoft.card.adaptive"
MAX_MESSAGE_HTML = 64 * 1024  # a Teams message is far smaller; more is cut before it is read
MAX_CHOICES = 40  # the most severe open incidents; the card stays far below 28 KB
EXCERPT = 600  # characters of the message the dialog shows

Invoke = Callable[[TurnContext, Translator], Awaitable[dict[str, Any]]]


def _line(text: str, limit: int = 200) -> str:
    """A note on one line of the numbered list."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Captured:
    text: str
    source: Source


def task_message(text: str) -> dict[str, Any]:
    """The answer to a message extension's invoke that shows a line of text and closes the dialog."""
    return {"task": {"type": "message", "value": text}}


def _task(answer: Answer, title: str) -> dict[str, Any]:
    if answer.card is None:
        return task_message(answer.text)
    return {"task": {"type": "continue", "value": {"title": title, "width": "medium", "height": "medium",
                                                   "card": {"contentType": CARD, "content": answer.card}}}}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def captured_message(value: dict[str, Any], now: datetime) -> Captured | None:
    """The message the action was invoked on (``messagePayload``), as plain text; None when Teams sent none."""
    payload = value.get("messagePayload")
    if not isinstance(payload, dict):
        return None
    body = _mapping(payload.get("body"))
    content = str(body.get("content") or "")[:MAX_MESSAGE_HTML]
    text = content if str(body.get("contentType") or "html").lower() == "text" else html_to_text(content)
    sender = _mapping(payload.get("from"))
    user, application = _mapping(sender.get("user")), _mapping(sender.get("application"))
    who = user or application
    identity = str(who.get("id") or "")[:200]
    author = Person(id=identity, name=str(who.get("displayName") or identity or "?")[:200],
                    aad_id=identity if user else "")
    created = str(payload.get("createdDateTime") or "")
    said_at = parse_instant(created, "createdDateTime") if created else now
    return Captured(text.strip(), Source(author, said_at, str(payload.get("linkToMessage") or "")[:2000]))


class CaptureTeams:
    """``note``, ``note!`` and the message action's two invokes, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.bus = turns.bus
        self.deps = turns.deps

    # -- typed notes -----------------------------------------------------------------------------------

    async def note(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._typed(turn_context, arguments, t, pinned=False)

    async def key_event(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._typed(turn_context, arguments, t, pinned=True)

    async def _typed(self, turn_context: TurnContext, arguments: str, t: Translator, *, pinned: bool) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            if not rest:
                return Answer(text=t("reply.usage", usage=t("usage.note!" if pinned else "usage.note")))
            await self.bus.handle(AddNote(incident.id, rest, actor_of(turn_context), pinned=pinned))
            return Answer(text=t("reply.key_event_added" if pinned else "reply.note_added", id=incident.id))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    # -- pin <n> / unpin <n>: an earlier note made a key event, or an ordinary note again ----------------

    async def pin(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._pin(turn_context, arguments, t, pinned=True)

    async def unpin(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        return await self._pin(turn_context, arguments, t, pinned=False)

    async def _pin(self, turn_context: TurnContext, arguments: str, t: Translator, *, pinned: bool) -> Answer:
        verb = "pin" if pinned else "unpin"

        async def act(incident: Incident, rest: str) -> Answer:
            actor = actor_of(turn_context)
            number = int(rest) if rest.isdigit() and len(rest) <= 6 else None
            command = PinNote(incident.id, number or 0, actor, pinned=pinned)
            if not permits(incident, Action.ADD_NOTE, actor, self.deps.policy.admins):
                await self.bus.handle(command)  # refused there, in the same words as for a note: nothing learnt
            notes = notes_of(await self.deps.incidents.timeline(incident.id))
            if not rest and pinned and notes:
                lines = [f"{n}. {markdown_escape(_line(note.text))}"
                         + (f" ({t('reply.notes_key_event')})" if note.pinned else "")
                         for n, note in enumerate(notes, start=1)]
                return Answer(text="\n\n".join([t("reply.notes_list", id=incident.id), *lines]))
            if not notes:
                return Answer(text=t("reply.no_notes", id=incident.id))
            if number is None:
                return Answer(text=t("reply.pin_number", verb=verb))
            if not 1 <= number <= len(notes):
                return Answer(text=t("reply.no_such_note", id=incident.id, n=number, count=len(notes)))
            if notes[number - 1].pinned == pinned:
                key = "reply.note_already_pinned" if pinned else "reply.note_not_pinned"
                return Answer(text=t(key, id=incident.id, n=number))
            await self.bus.handle(command)
            return Answer(text=t("reply.note_pinned" if pinned else "reply.note_unpinned", id=incident.id, n=number))
        return await self.turns.with_incident(turn_context, arguments, t, act)

    # -- the message action ----------------------------------------------------------------------------

    async def fetch_task(self, turn_context: TurnContext, t: Translator) -> dict[str, Any]:
        """The dialog: which incident (this space's, chosen already), and whether it is a key event."""
        value = _mapping(turn_context.activity.value)
        if value.get("commandId") != CAPTURE_COMMAND:
            return task_message(t("reply.unknown_action", verb=str(value.get("commandId"))[:60]))
        return _task(await guarded(lambda: self._dialog(turn_context, value, t), t), t("capture.title"))

    async def submit(self, turn_context: TurnContext, t: Translator) -> dict[str, Any]:
        value = _mapping(turn_context.activity.value)
        if value.get("commandId") != CAPTURE_COMMAND:
            return task_message(t("reply.unknown_action", verb=str(value.get("commandId"))[:60]))
        return task_message((await guarded(lambda: self._add(turn_context, value, t), t)).text)

    async def _space(self, turn_context: TurnContext) -> Incident | None:
        """The incident whose space (or announcement thread) the message is in, if any."""
        found = await incident_of_conversation(self.deps.conversations, turn_context.activity.conversation.id)
        if found is None:
            return None
        try:
            return await self.deps.incidents.get(found)
        except NotFound:
            return None

    async def _dialog(self, turn_context: TurnContext, value: dict[str, Any], t: Translator) -> Answer:
        captured = captured_message(value, self.deps.clock.now())
        if captured is None:
            return Answer(text=t("capture.no_message"))
        me, admins = actor_of(turn_context), self.deps.policy.admins
        here = await self._space(turn_context)
        if here is not None and not here.may_see(me, admins):
            return Answer(text=t("capture.refused"))  # no id, no title: nothing learnt of it
        if here is not None and here.private:  # a security incident's words stay in it
            offered = [here] if here.status is not Status.CLOSED else []
        else:
            offered = [i for i in await open_incidents(self.deps) if i.may_see(me, admins)][:MAX_CHOICES]
            if here is not None and here.status is not Status.CLOSED and all(i.id != here.id for i in offered):
                offered.insert(0, here)
        if not offered:
            return Answer(text=t("capture.no_incidents"))
        chosen = here.id if here is not None and any(i.id == here.id for i in offered) else ""
        return Answer(card=capture_card(captured, offered, chosen, t))

    async def _add(self, turn_context: TurnContext, value: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(CaptureAction, _mapping(value.get("data")))
        captured = captured_message(value, self.deps.clock.now())
        if captured is None:
            return Answer(text=t("capture.no_message"))
        if not captured.text:
            return Answer(text=t("capture.empty"))
        me, admins = actor_of(turn_context), self.deps.policy.admins
        here = await self._space(turn_context)
        try:
            incident = await self.deps.incidents.get(payload.incident_id.upper())
        except NotFound:
            return Answer(text=t("capture.refused"))  # the same answer as for a private one: nothing learnt
        outside = here is not None and here.private and here.id != incident.id
        if outside or not incident.may_see(me, admins):
            return Answer(text=t("capture.refused"))
        await self.bus.handle(AddNote(incident.id, captured.text, me, pinned=payload.key_event,
                                      source=captured.source))
        return Answer(text=t("capture.added_key" if payload.key_event else "capture.added", id=incident.id,
                             who=captured.source.author.name))


def capture_card(captured: Captured, offered: list[Incident], chosen: str, t: Translator) -> dict[str, Any]:
    source = captured.source
    options = [(i.id, f"{i.id} · {i.severity} · {cut(i.title, 80, '')}".rstrip()) for i in offered]
    return render_card(
        "capture", heading=t("capture.heading"), submit=t("capture.submit"),
        said=t("capture.said", who=markdown_escape(source.author.name), when=card_date_time(source.said_at)),
        excerpt=markdown_escape(cut(captured.text, EXCERPT, "")) or " ",
        incident=choice_input("incident_id", t("capture.incident"), options, value=chosen, required=True,
                              filtered=len(options) > 8, error_message=t("capture.incident_missing")),
        key_event=toggle_input("key_event", t("capture.key_event")))
