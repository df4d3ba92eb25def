"""Who may do what to an incident: one table of actions and the audiences allowed each, public or private.

A private (security) incident is for its people: nobody outside it sees it, acts on it or joins it,
and only a manager brings someone in. On a public incident what anyone could always do stays open,
filling an empty role included. Changing what the incident is (severity, status, command) is for its
managers and incident admins everywhere. The service layer applies this table to every command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from incident.assessment import Assessment
from incident.errors import NotPermitted
from incident.people import Person
from incident.postmortem import FollowUp, Postmortem
from incident.tasks import Task

MANAGING_ROLES = ("commander", "deputy")


class Members(Protocol):
    """What the rule reads of an incident (``Incident`` is one): who is in it, and whether it is private."""

    @property
    def id(self) -> str: ...
    @property
    def private(self) -> bool: ...
    @property
    def declared_by(self) -> Person: ...
    @property
    def roles(self) -> Mapping[str, Person]: ...
    @property
    def invitees(self) -> tuple[Person, ...]: ...
    @property
    def assessment(self) -> Assessment | None: ...
    @property
    def postmortem(self) -> Postmortem | None: ...
    @property
    def follow_ups(self) -> tuple[FollowUp, ...]: ...
    @property
    def tasks(self) -> tuple[Task, ...]: ...


class Audience(StrEnum):
    """Who someone is to an incident; the text names them in a refusal."""

    EVERYONE = "everyone"
    FOLLOW_UP_OWNER = "the follow-up's owner"
    POSTMORTEM_OWNER = "the postmortem's owner"
    PEOPLE = "the people in the incident"
    MANAGERS = "the commander, the deputy"
    ADMINS = "an incident admin"
    COMMUNICATIONS = "the communications lead"


class Action(StrEnum):
    """What someone asks to do; the text reads after "may" and before the incident id."""

    SEE = "see"
    ACKNOWLEDGE = "acknowledge"
    POST_UPDATE = "post an update on"
    SNOOZE = "snooze the reminders of"
    TICK_PLAN_STEP = "tick a plan step of"
    FILL_ROLE = "fill a role of"
    TAKE_OVER = "hand over the command of"
    ADD_PEOPLE = "add people to"
    CHANGE_SEVERITY = "change the severity of"
    CHANGE_STATUS = "change the status of"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    REQUEST_ASSESSMENT = "ask for a risk assessment of"
    ANSWER_ASSESSMENT = "answer the risk assessment of"
    DECIDE_ASSESSMENT = "decide the risk assessment of"
    WRITE_POSTMORTEM = "write the postmortem of"
    COMPLETE_FOLLOW_UP = "complete a follow-up of"
    MANAGE_TASKS = "add or change the tasks of"
    CLOSE = "close"
    ADD_NOTE = "add a note to"
    PUBLISH = "publish a public update on"
    INVITE = "invite people to"
    CHANGE_PRIORITY = "change the priority of"


@dataclass(frozen=True)
class Rule:
    """The audiences allowed an action on a public incident, and on a private one."""

    public: frozenset[Audience]
    private: frozenset[Audience]


def _rule(public: Iterable[Audience], private: Iterable[Audience] | None = None) -> Rule:
    return Rule(frozenset(public), frozenset(public if private is None else private))


_INSIDE = (Audience.PEOPLE, Audience.ADMINS)
_MANAGERS = (Audience.MANAGERS, Audience.ADMINS)
_OPEN = _rule([Audience.EVERYONE], _INSIDE)  # anyone on a public incident; its people on a private one
_MANAGED = _rule(_MANAGERS)
_WRITERS = (Audience.POSTMORTEM_OWNER, *_MANAGERS)

RULES: dict[Action, Rule] = {
    Action.SEE: _OPEN,
    Action.ACKNOWLEDGE: _OPEN,
    Action.POST_UPDATE: _OPEN,
    Action.SNOOZE: _OPEN,
    Action.TICK_PLAN_STEP: _OPEN,
    Action.MANAGE_TASKS: _OPEN,  # like ticking the plan: the people working on it
    Action.FILL_ROLE: _OPEN,  # an empty role, or one that does not command the incident
    Action.ANSWER_ASSESSMENT: _OPEN,  # the domain also checks the person was asked
    Action.ADD_PEOPLE: _rule([Audience.EVERYONE], _MANAGERS),  # joining a private incident needs a manager
    Action.TAKE_OVER: _MANAGED,  # giving a held commander or deputy role to someone else
    Action.CHANGE_SEVERITY: _MANAGED,
    Action.CHANGE_STATUS: _MANAGED,
    Action.RESOLVE: _MANAGED,
    Action.REOPEN: _MANAGED,
    Action.REQUEST_ASSESSMENT: _MANAGED,
    Action.DECIDE_ASSESSMENT: _MANAGED,
    Action.CLOSE: _MANAGED,
    Action.WRITE_POSTMORTEM: _rule(_WRITERS),
    Action.COMPLETE_FOLLOW_UP: _rule([Audience.FOLLOW_UP_OWNER, *_WRITERS]),
    Action.ADD_NOTE: _OPEN,  # a note or a captured message in the timeline; a private incident's own people only
    Action.PUBLISH: _rule([Audience.COMMUNICATIONS, *_MANAGERS]),  # the domain refuses a private one outright
    Action.INVITE: _rule([Audience.PEOPLE, *_MANAGERS], _MANAGERS),  # a private incident's managers bring people in
    Action.CHANGE_PRIORITY: _MANAGED,
}


def identities(person: Person) -> frozenset[str]:
    """The ids a person is known by: the Teams id and, when known, the Entra object id."""
    return frozenset(i for i in (person.id, person.aad_id) if i)


def same_person(one: Person, other: Person) -> bool:
    return bool(identities(one) & identities(other))


def is_admin(person: Person, admins: Iterable[str]) -> bool:
    """``[teams] admins`` lists Teams ids or Entra object ids: either one counts."""
    return bool(identities(person) & set(admins))


def people_of(incident: Members) -> tuple[Person, ...]:
    """The people in an incident: its declarer, role holders, invitees, and those a manager or the
    postmortem's writers brought in (the assessors asked, the postmortem's and follow-ups' owners)."""
    found = [incident.declared_by, *incident.roles.values(), *incident.invitees]
    if incident.assessment is not None:
        found.extend(incident.assessment.assessors)
    if incident.postmortem is not None:
        found.append(incident.postmortem.owner)
    found.extend(f.owner for f in incident.follow_ups)
    found.extend(t.owner for t in incident.tasks)
    return tuple(found)


def is_in(incident: Members, person: Person) -> bool:
    return any(same_person(person, p) for p in people_of(incident))


def audiences(incident: Members, person: Person, admins: Iterable[str],
              follow_up: int | None = None) -> frozenset[Audience]:
    """Every audience ``person`` belongs to for ``incident`` (``follow_up``: the one acted on, if any)."""
    found = {Audience.EVERYONE}
    if is_in(incident, person):
        found.add(Audience.PEOPLE)
    if any(same_person(person, p) for r in MANAGING_ROLES if (p := incident.roles.get(r))):
        found.add(Audience.MANAGERS)
    if is_admin(person, admins):
        found.add(Audience.ADMINS)
    if incident.postmortem is not None and same_person(person, incident.postmortem.owner):
        found.add(Audience.POSTMORTEM_OWNER)
    if (lead := incident.roles.get("communications_lead")) is not None and same_person(person, lead):
        found.add(Audience.COMMUNICATIONS)
    owners = [f.owner for f in incident.follow_ups if f.number == follow_up]
    if any(same_person(person, owner) for owner in owners):
        found.add(Audience.FOLLOW_UP_OWNER)
    return frozenset(found)


def allowed(incident: Members, action: Action) -> frozenset[Audience]:
    rule = RULES[action]
    return rule.private if incident.private else rule.public


def permits(incident: Members, action: Action, person: Person, admins: Iterable[str],
            follow_up: int | None = None) -> bool:
    return bool(allowed(incident, action) & audiences(incident, person, admins, follow_up))


def require(incident: Members, action: Action, person: Person, admins: Iterable[str],
            follow_up: int | None = None) -> None:
    """NotPermitted unless ``person`` may; the refusal names the incident by id only, never its title."""
    if permits(incident, action, person, admins, follow_up):
        return
    who = [a.value for a in Audience if a in allowed(incident, action)]
    listed = f"{', '.join(who[:-1])} or {who[-1]}" if len(who) > 1 else who[0]
    raise NotPermitted(f"only {listed} may {action.value} {incident.id}.")
