"""Declaring in Teams: ``declare [title]`` shows the form (bot/declaration.py), and its submit declares, or
shows the form again with what to fix."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.declaration import DeclarationForm, declaration_card, new_form_id, parse_declaration
from bot.locale import Translator
from bot.private_space import declared_notice
from bot.turns import Answer, Turns, actor_of, team_of
from bot.views import Member, notice_card
from incident import commands
from incident.errors import DeclarationInProgress, InvalidValue


class DeclarationTeams:
    """The ``declare`` command and the form's ``declare.submit``, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.deps = turns.deps
        self.setup = turns.setup

    async def form(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        members = await self.turns.members(turn_context)
        me = actor_of(turn_context)
        return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=new_form_id(),
                                            values={"title": arguments, "commander": me.id}))

    async def submit(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        form, errors = parse_declaration(data, t)
        members = await self.turns.members(turn_context)
        form_id = form.form_id if form else str(data.get("form_id") or new_form_id())[:64]
        if form is None:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors=errors, notice=t("declare.fix_errors")))
        by_id = {m.id: m for m in members}
        for picked in {form.commander, form.responder, *form.invitees} - set(by_id) - {""}:
            found = await self.turns.member(turn_context, picked)  # from the people search: an Entra object id
            if found is not None:
                by_id[picked] = found
        errors = self._errors(form, by_id, t)
        if errors:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors=errors, notice=t("declare.fix_errors")))
        if not form.is_incident and not form.confirm_not_incident:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, notice=t("declare.not_incident"), confirm=True))
        roles = {"commander": by_id[form.commander].person()}
        if form.responder:
            roles["responder"] = by_id[form.responder].person()
        command = commands.DeclareIncident(
            title=form.title, incident_type=form.type, severity=form.severity, actor=actor_of(turn_context),
            summary=form.summary, roles=roles, services=tuple(form.services),
            environments=tuple(form.environments), regions=tuple(form.regions),
            private=self.deps.policy.is_private(form.type, asked=form.private),
            invitees=tuple(by_id[i].person() for i in form.invitees), broadcast=form.broadcast,
            language=t.language, idempotency_key=form.idempotency_key(actor_of(turn_context).id),
            team=team_of(turn_context))
        try:
            incident = await self.turns.bus.handle(command)
        except DeclarationInProgress:
            return Answer(text=t("declare.in_progress"))
        except InvalidValue as error:
            return Answer(card=declaration_card(self.deps.policy, self.setup, t, members, form_id=form_id,
                                                values=data, errors={error.field: error.reason},
                                                notice=t("declare.fix_errors")))
        # The form is replaced by a card without its button, so nobody declares from it again.
        return Answer(card=notice_card(declared_notice(incident, self.setup, t)))

    def _errors(self, form: DeclarationForm, by_id: dict[str, Member], t: Translator) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not form.title:  # the card asks for it first; a client that sends it empty anyway gets the same sentence
            errors["title"] = t("declare.title.required")
        if not form.commander:
            errors["commander"] = t("declare.commander.required")
        for field in ("commander", "responder"):
            if getattr(form, field) and getattr(form, field) not in by_id:
                errors[field] = t("error.not_member")
        if any(i not in by_id for i in form.invitees):
            errors["invitees"] = t("error.not_member")
        if form.broadcast and form.broadcast not in self.setup.broadcast_channels:
            errors["broadcast"] = t("error.not_broadcast", channels=", ".join(self.setup.broadcast_channels))
        return errors
