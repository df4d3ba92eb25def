"""``roster show|set|override|check`` in Teams: people come from @mentions; only incident admins change it.

    roster show [service]
    roster set <service> <role> @primary @delegate ...
    roster override <service> <role> @person <start> <end>     (ISO 8601 instants, or dates: 00:00 UTC)
    roster check
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from botbuilder.core import TurnContext

from adapters.templates import markdown_escape
from bot.commands import Mention, mentions_of, without_mention_tags
from bot.locale import Translator
from bot.turns import Answer, Turns, actor_of, bot_id_of
from incident.errors import InvalidValue
from incident.instants import parse_instant
from incident.people import Person
from incident.roster import ORGANISATION, chain_at
from incident.roster_commands import AddOverride, SetRole
from services import roster_service
from services.bus import MessageBus

Lookup = Callable[[Person], Awaitable[Person]]  # completes a mentioned person (email, Entra id) from Teams


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M}"


def _people_in_order(text: str, mentions: Sequence[Mention]) -> list[Person]:
    """Mentioned people in the order they were typed (Teams does not promise the entities' order)."""
    placed = sorted(((text.find(label), person) for label, person in mentions if label), key=lambda p: p[0])
    return list(dict.fromkeys(person for _, person in placed))


def _without_mentions(text: str, mentions: Sequence[Mention]) -> list[str]:
    for label, _ in mentions:
        text = text.replace(label, " ")
    return without_mention_tags(text).split()


class RosterCommands:
    def __init__(self, bus: MessageBus) -> None:
        self.bus, self.deps = bus, bus.dependencies

    async def run(self, arguments: str, actor: Person, mentions: Sequence[Mention], lookup: Lookup,
                  t: Translator) -> str:
        words = _without_mentions(arguments, mentions)
        action = words[0].lower() if words else "show"
        rest = words[1:]
        if action == "show":
            return await self.show(rest[0] if rest else "", t)
        if action == "check":
            return await self.check(t)
        if action not in ("set", "override"):
            return t("roster.usage")
        roster_service.may_change_roster(self.deps.policy, actor)
        people = [await lookup(p) for p in _people_in_order(arguments, mentions)]
        if len(rest) < 2 or not people:
            return t("roster.usage")
        service = roster_service.known_service(self.deps.policy, rest[0])
        role_definition = self.deps.policy.role_named(rest[1])
        role, role_name = role_definition.key, role_definition.name
        if action == "set":
            entry = await self.bus.handle(SetRole(service, role, tuple(people), actor))
            return t("roster.set", service=service, role=role_name,
                     chain=" → ".join(markdown_escape(p.name) for p in entry.chain))
        if len(rest) != 4 or len(people) != 1:
            return t("roster.usage")
        override = await self.bus.handle(AddOverride(
            service, role, people[0], parse_instant(rest[2], "time"), parse_instant(rest[3], "time"), actor))
        return t("roster.overridden", service=service, role=role_name, who=markdown_escape(override.person.name),
                 start=_utc(override.start), end=_utc(override.end))

    async def show(self, service: str, t: Translator) -> str:
        now = self.deps.clock.now()
        services = [roster_service.known_service(self.deps.policy, service)] if service else \
            [*self.deps.policy.services, ORGANISATION]
        lines = []
        for name in services:
            partition = await self.deps.roster.partition(name)
            for entry in partition.entries:
                held = chain_at(entry, partition.overrides, now)
                chain = " → ".join(markdown_escape(p.name) for p in (held.chain if held else ()))
                line = f"- **{markdown_escape(name)}** · {self._role_name(entry.role)}: {chain}"
                if entry.rotation is not None:
                    line += " " + t("roster.rotation", people=", ".join(markdown_escape(p.name)
                                                                         for p in entry.rotation.people),
                                    handoff=entry.rotation.handoff_text())
                lines.append(line)
            for override in partition.overrides:
                if override.end > now:
                    lines.append("- " + t("roster.override_line", service=markdown_escape(name),
                                          role=self._role_name(override.role),
                                          who=markdown_escape(override.person.name),
                                          start=_utc(override.start), end=_utc(override.end)))
        if not lines:
            return t("roster.empty", service=service or "*")
        return t("roster.heading", at=f"{now:%Y-%m-%d %H:%M}") + "\n\n" + "\n".join(lines)

    async def check(self, t: Translator) -> str:
        report = await roster_service.check(self.deps.roster, self.deps.policy, self.deps.clock.now())
        if report.ok:
            return t("roster.check_ok")
        findings = "\n".join(f"- **{markdown_escape(f.service)}** · {markdown_escape(f.role)}: "
                             f"{markdown_escape(f.text)}" for f in report.findings)
        return t("roster.check_findings", count=len(report.findings)) + "\n\n" + findings

    def _role_name(self, role: str) -> str:
        try:
            return self.deps.policy.role(role).name
        except InvalidValue:
            return role



class RosterTeams:
    """The ``roster`` command, for the verb table (bot/verb_table.py): mentioned people completed from Teams."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.roster_commands = RosterCommands(turns.bus)

    async def command(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def with_details(person: Person) -> Person:  # email and Entra id, for mail and Graph
            found = await self.turns.member(turn_context, person.id)
            return found.person() if found is not None else person

        mentions = mentions_of(turn_context.activity.entities, bot_id_of(turn_context))
        return Answer(text=await self.roster_commands.run(arguments, actor_of(turn_context), mentions,
                                                          with_details, t))
