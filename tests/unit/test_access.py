"""Who may do what to an incident (incident/access.py), and that every command is one of its actions."""

from __future__ import annotations

import pytest

from incident.access import RULES, Action, permits, require
from incident.errors import NotPermitted
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from services.handlers import CHANGES, READ_FIRST
from services.permissions import ACTIONS, SYSTEM_COMMANDS
from services.postmortem_handlers import POSTMORTEM_CHANGES
from services.task_handlers import TASK_CHANGES
from tests.conftest import ALICE, BOB
from tests.unit.test_incident_lifecycle import T0

MALLORY = Person(id="29:mallory", name="Mallory Outsider", aad_id="aad-mallory")
DANA = Person(id="29:dana", name="Dana Admin", aad_id="4f1c2d3e-0000-4000-8000-00000000dana")
OPEN_TO_PEOPLE = (Action.SEE, Action.ACKNOWLEDGE, Action.POST_UPDATE, Action.SNOOZE, Action.TICK_PLAN_STEP,
                  Action.FILL_ROLE, Action.ADD_PEOPLE)
MANAGING = (Action.CHANGE_SEVERITY, Action.CHANGE_STATUS, Action.RESOLVE, Action.REOPEN, Action.TAKE_OVER,
            Action.CLOSE, Action.REQUEST_ASSESSMENT, Action.DECIDE_ASSESSMENT)


def incident(policy: OrganisationPolicy, *, private: bool) -> Incident:
    return Incident.declare(incident_id="INC-2026-0001", title="Ransomware on file server", summary="",
                            incident_type="security" if private else "outage", severity="SEV1",
                            declared_by=ALICE, at=T0, policy=policy, roles={"commander": ALICE},
                            invitees=(BOB,), private=private)


def test_every_action_has_a_rule_for_public_and_private_incidents() -> None:
    assert set(RULES) == set(Action)
    assert all(rule.public and rule.private for rule in RULES.values())


def test_every_change_command_is_an_action_or_devopsbot_s_own() -> None:
    changes = set(CHANGES) | set(READ_FIRST) | set(POSTMORTEM_CHANGES) | set(TASK_CHANGES)
    assert changes == set(ACTIONS) | SYSTEM_COMMANDS


@pytest.mark.parametrize("action", list(Action))
def test_nobody_outside_a_private_incident_may_do_anything_to_it(policy: OrganisationPolicy, action: Action) -> None:
    assert not permits(incident(policy, private=True), action, MALLORY, admins=())


@pytest.mark.parametrize("action", OPEN_TO_PEOPLE[:-1])
def test_the_people_in_a_private_incident_may_follow_and_help(policy: OrganisationPolicy, action: Action) -> None:
    assert permits(incident(policy, private=True), action, BOB, admins=())


def test_joining_a_private_incident_needs_a_manager(policy: OrganisationPolicy) -> None:
    private = incident(policy, private=True)
    assert not permits(private, Action.ADD_PEOPLE, BOB, admins=())
    assert permits(private, Action.ADD_PEOPLE, ALICE, admins=())


@pytest.mark.parametrize("action", OPEN_TO_PEOPLE)
def test_anyone_may_follow_and_help_on_a_public_incident(policy: OrganisationPolicy, action: Action) -> None:
    assert permits(incident(policy, private=False), action, MALLORY, admins=())


@pytest.mark.parametrize("action", MANAGING)
def test_steering_is_for_the_commander_deputy_and_admins_everywhere(policy: OrganisationPolicy,
                                                                     action: Action) -> None:
    for private in (False, True):
        found = incident(policy, private=private)
        assert permits(found, action, ALICE, admins=())
        assert not permits(found, action, BOB, admins=())
        assert permits(found, action, BOB, admins=("29:bob",))


def test_an_admin_listed_by_entra_object_id_is_an_admin(policy: OrganisationPolicy) -> None:
    private = incident(policy, private=True)
    assert permits(private, Action.RESOLVE, DANA, admins=(DANA.aad_id,))
    assert permits(private, Action.SEE, DANA, admins=(DANA.aad_id,))
    assert not permits(private, Action.SEE, DANA, admins=())


def test_a_role_holder_stored_by_entra_object_id_is_recognised_from_teams(policy: OrganisationPolicy) -> None:
    """The people picker stores an Entra object id; Teams later sends that person's Teams id and object id."""
    private = Incident.declare(incident_id="INC-2026-0002", title="Leak", summary="", incident_type="security",
                               severity="SEV1", declared_by=ALICE, at=T0, policy=policy, private=True,
                               roles={"commander": Person(id=DANA.aad_id, name="Dana Admin")})
    assert permits(private, Action.RESOLVE, DANA, admins=())


def test_a_refusal_names_the_incident_and_who_may_but_never_its_title(policy: OrganisationPolicy) -> None:
    private = incident(policy, private=True)
    with pytest.raises(NotPermitted) as refused:
        require(private, Action.POST_UPDATE, MALLORY, admins=())
    assert str(refused.value) == ("only the people in the incident or an incident admin may post an update on "
                                  "INC-2026-0001.")
    assert "Ransomware" not in str(refused.value)

