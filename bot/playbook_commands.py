"""``playbook submit|show|approve|reject|list|coverage`` in Teams, and the review card's Approve/Reject.

    playbook submit <service> <markdown>        (the rest of the message is the playbook)
    playbook show <service> [version]
    playbook approve <service> <version>
    playbook reject <service> <version> <comment>
    playbook list [service]
    playbook coverage
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from botbuilder.core import TurnContext
from pydantic import Field

from adapters.templates import markdown_escape, render_card
from bot.actions import execute, show_card, text_input
from bot.locale import Translator
from bot.submissions import _Payload, parse_payload
from bot.turns import Answer, Turns, actor_of
from bot.views import cut, mention_entity, mention_text
from incident.errors import InvalidValue
from incident.people import Person
from incident.playbook import PlaybookError, PlaybookPolicy, PlaybookVersion
from incident.playbook_commands import ApprovePlaybook, RejectPlaybook, SubmitPlaybook
from services import playbooks
from services.bus import MessageBus
from services.html_text import html_to_text

EXCERPT = 1200  # of the Markdown on the review card; the full text is one 'playbook show' away


class ReviewAction(_Payload):
    """The data the review card's buttons carry, validated before anything acts on it."""

    service: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
    version: Annotated[int, Field(ge=1, le=1_000_000)]
    comment: Annotated[str, Field(max_length=2000)] = ""


def message_markdown(raw: str) -> str:
    """A Teams message's text as Markdown lines: Teams sends formatted messages as HTML (mentions kept)."""
    return html_to_text(raw.replace("\r\n", "\n"), keep=("<at>", "</at>"))


def _version_words(words: list[str]) -> int:
    if len(words) < 2 or not re.fullmatch(r"[0-9]{1,6}", words[1].lstrip("v")):
        raise InvalidValue("version", "give the version number, like 'playbook approve checkout 3'")
    return int(words[1].lstrip("v"))


class PlaybookCommands:
    def __init__(self, bus: MessageBus) -> None:
        self.bus, self.deps = bus, bus.dependencies

    async def run(self, arguments: str, raw_text: str, actor: Person,
                  t: Translator) -> tuple[str, dict[str, Any] | None]:
        """(text, card): the answer to one message."""
        words = arguments.split()
        action = words[0].lower() if words else ""
        rest = words[1:]
        if action == "submit" and rest:
            markdown = message_markdown(raw_text)
            markdown = re.sub(r"^\s*playbook\s+submit\s+\S+[ \t]*\n?", "", markdown, count=1, flags=re.IGNORECASE)
            try:
                version = await self.bus.handle(SubmitPlaybook(rest[0], markdown, actor))
            except PlaybookError as error:
                return t("playbook.refused", service=markdown_escape(rest[0]),
                         problems=markdown_escape("; ".join(error.problems))), None
            return "", self.review_card(version, t)
        if action in ("approve", "reject") and rest:
            number = _version_words(rest)
            if action == "approve":
                found = await self.bus.handle(ApprovePlaybook(rest[0], number, actor))
                return self._approved(found, actor, t), None
            comment = " ".join(rest[2:])
            found = await self.bus.handle(RejectPlaybook(rest[0], number, actor, comment))
            return t("playbook.rejected", service=found.version.service, version=number,
                     who=markdown_escape(actor.name), comment=markdown_escape(comment)), None
        if action == "show" and rest:
            found = await playbooks.show(self.deps, rest[0], _version_words(rest) if len(rest) > 1 else None)
            return f"{self._line(found)}\n\n{cut(found.version.text, 20_000, '')}", None
        if action == "list":
            listed = await playbooks.listing(self.deps, rest[0] if rest else "")
            if not listed:
                return t("playbook.none", service=rest[0] if rest else "*"), None
            return t("playbook.list_heading") + "\n\n" + "\n".join(f"- {self._line(v)}" for v in listed), None
        if action == "coverage":
            missing = await playbooks.coverage(self.deps)
            return (t("playbook.coverage_missing", services=", ".join(missing)) if missing
                    else t("playbook.coverage_ok")), None
        return t("playbook.usage"), None

    def _line(self, found: playbooks.VersionView) -> str:
        v = found.version
        return (f"**{markdown_escape(v.service)} v{v.version}** · {found.state.value} · "
                f"{found.approvals}/{found.needed} · {markdown_escape(v.owner)} · {v.last_tested.isoformat()}")

    def _approved(self, found: playbooks.VersionView, actor: Person, t: Translator) -> str:
        return t("playbook.approved", service=found.version.service, version=found.version.version,
                 who=markdown_escape(actor.name), count=found.approvals, needed=found.needed)

    def review_card(self, version: PlaybookVersion, t: Translator) -> dict[str, Any]:
        return review_card(version, self.deps.policy.playbooks, t)

    async def card_action(self, verb: str, data: dict[str, Any], actor: Person, t: Translator) -> str:
        payload = parse_payload(ReviewAction, data)
        if verb == "playbook.approve":
            found = await self.bus.handle(ApprovePlaybook(payload.service, payload.version, actor))
            return self._approved(found, actor, t)
        await self.bus.handle(RejectPlaybook(payload.service, payload.version, actor, payload.comment))
        return t("playbook.rejected", service=payload.service, version=payload.version,
                 who=markdown_escape(actor.name), comment=markdown_escape(payload.comment))


def review_card(version: PlaybookVersion, policy: PlaybookPolicy, t: Translator) -> dict[str, Any]:
    """The card the approvers review from: @mentions them, Approve, or Reject with a comment."""
    approvers = [p for p in policy.approvers_of(version.service) if p.id != version.author.id]
    data = {"service": version.service, "version": version.version}
    text = t("playbook.card_text", author=markdown_escape(version.author.name),
             at=f"{version.submitted_at:%Y-%m-%d %H:%M}", needed=policy.approvals_required)
    if approvers:
        text += " " + ", ".join(mention_text(p, card=True) for p in approvers)
    return render_card(
        "playbook_review", heading=t("playbook.card_heading", service=version.service, version=version.version),
        text=text, facts=[{"title": "Owner", "value": markdown_escape(version.owner)},
                          {"title": "Last tested", "value": version.last_tested.isoformat()}],
        excerpt=cut(version.text, EXCERPT, f"(playbook show {version.service} {version.version})"),
        mentions=[mention_entity(p) for p in approvers],
        actions=[execute(t("playbook.approve"), "playbook.approve", data, style="positive"),
                 show_card(t("playbook.reject"), [text_input("comment", t("playbook.comment"), multiline=True,
                                                             required=True, max_length=2000,
                                                             error_message=t("playbook.comment.required"))],
                           [execute(t("playbook.reject"), "playbook.reject", data, style="destructive")])])


class PlaybookTeams:
    """The ``playbook`` command and the review card's Approve and Reject, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.playbook_commands = PlaybookCommands(turns.bus)

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        text, card = await self.playbook_commands.run(arguments, turn_context.activity.text or "",
                                                      actor_of(turn_context), t)
        return Answer(card=card, text=text)

    async def approve(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return await self._card("playbook.approve", turn_context, data, t)

    async def reject(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return await self._card("playbook.reject", turn_context, data, t)

    async def _card(self, verb: str, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        return Answer(text=await self.playbook_commands.card_action(verb, data, actor_of(turn_context), t))
