"""The one table of what the bot does: each text command and each card verb, and the feature module that
handles it. A new command goes into bot/commands.py's COMMANDS (its help) and here (its handler)."""

from __future__ import annotations

from dataclasses import dataclass, field

from botbuilder.core import TurnContext

from bot.assessment import AssessmentTeams
from bot.assessment_cards import ACCEPT, ANSWER, FORM, OVERRIDE, REFRESH
from bot.bridge_card import BRIDGE_VERB
from bot.bridge_commands import BridgeTeams
from bot.commands import COMMANDS
from bot.declaration_commands import DeclarationTeams
from bot.hand_commands import HandTeams
from bot.home_team import HomeCommands
from bot.incident_commands import IncidentTeams
from bot.locale import Translator
from bot.maintenance_commands import MaintenanceTeams
from bot.playbook_commands import PlaybookTeams
from bot.postmortem import PostmortemTeams
from bot.replies import help_card
from bot.roster_commands import RosterTeams
from bot.status_page_commands import PublicTeams
from bot.task_commands import TaskTeams
from bot.timeline_capture import FETCH_TASK, SUBMIT_ACTION, CaptureTeams, Invoke
from bot.triage_commands import TriageTeams
from bot.turns import Answer, Command, Turns, Verb, in_personal_chat


async def help_command(turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
    return Answer(card=help_card(t, personal=in_personal_chat(turn_context)))


@dataclass(frozen=True)
class VerbTable:
    commands: dict[str, Command]  # the first word of a message → its handler
    verbs: dict[str, Verb]  # a card button's verb → its handler
    invokes: dict[str, Invoke] = field(default_factory=dict)  # a message extension's invoke name → its handler


def verb_table(turns: Turns) -> VerbTable:
    """Every handler, built on the shared ``turns``. Refuses to build when a command lacks its help or its
    handler, so the help the bot shows (bot/replies.py) and what it answers cannot part."""
    incident = IncidentTeams(turns)
    declaration = DeclarationTeams(turns)
    roster = RosterTeams(turns)
    playbook = PlaybookTeams(turns)
    postmortem = PostmortemTeams(turns)
    assessment = AssessmentTeams(turns)
    home = HomeCommands(turns.deps)
    capture = CaptureTeams(turns)
    bridge = BridgeTeams(turns)
    tasks = TaskTeams(turns)
    triage = TriageTeams(turns)
    public = PublicTeams(turns)
    hand = HandTeams(turns)
    maintenance = MaintenanceTeams(turns)
    commands: dict[str, Command] = {
        "help": help_command, "declare": declaration.form, "status": incident.status, "list": incident.listing,
        "ack": incident.ack, "update": incident.update, "assign": incident.assign, "severity": incident.severity,
        "resolve": incident.resolve_form, "reopen": incident.reopen, "roster": roster.command,
        "playbook": playbook.command, "postmortem": postmortem.show, "assess": assessment.command,
        "home": home.command, "bridge": bridge.command,
        "note": capture.note, "note!": capture.key_event, "pin": capture.pin, "unpin": capture.unpin,
        "task": tasks.command, "followup": tasks.follow_up,
        "public": public.update, "public-title": public.title,
        "invite": hand.invite, "priority": hand.priority,
        "maintenance": maintenance.command,
    }
    verbs: dict[str, Verb] = {
        "declare.submit": declaration.submit,
        "incident.ack": incident.card_ack, "incident.update": incident.card_update,
        "incident.severity": incident.card_severity, "incident.assign": incident.card_assign,
        "incident.status": incident.card_status,
        "incident.resolve_form": incident.card_resolve_form, "incident.resolve": incident.card_resolve,
        "plan.tick": incident.card_plan_tick, "incident.refresh": incident.card_refresh,
        "incident.snooze": incident.card_snooze,
        "playbook.approve": playbook.approve, "playbook.reject": playbook.reject,
        "postmortem.save": postmortem.save, "postmortem.followup": postmortem.add_follow_up,
        "postmortem.followup_done": postmortem.follow_up_done, "postmortem.complete": postmortem.complete,
        "postmortem.close": postmortem.close,
        "assessment.request": assessment.request_from_card, FORM: assessment.show, REFRESH: assessment.show,
        ANSWER: assessment.answer, ACCEPT: assessment.accept, OVERRIDE: assessment.override,
        BRIDGE_VERB: bridge.card,
        "task.done": tasks.card_done, "task.reassign": tasks.card_reassign,
        "triage.declare": triage.declare, "triage.attach": triage.attach, "triage.dismiss": triage.dismiss,
    }
    if unmatched := set(commands) ^ set(COMMANDS):
        raise LookupError(f"commands without both a help entry and a handler: {', '.join(sorted(unmatched))}")
    invokes: dict[str, Invoke] = {FETCH_TASK: capture.fetch_task, SUBMIT_ACTION: capture.submit}
    return VerbTable(commands, verbs, invokes)
