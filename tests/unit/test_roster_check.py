"""The single-point-of-failure report, one rule at a time, on the shipped organisation file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import Override, RosterEntry, Rotation
from incident.roster_check import spof_report

ANA, BEN, CHLOE, DAVE, EVE = (Person(f"29:{n}", n.title()) for n in ("ana", "ben", "chloe", "dave", "eve"))
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CRITICAL = ("commander", "deputy", "communications_lead", "security_lead")  # critical = true in the file


def only_checkout(policy: OrganisationPolicy) -> OrganisationPolicy:
    return replace(policy, services=("checkout",))


def healthy() -> list[RosterEntry]:
    """Two distinct people for every critical role, nobody the primary of two."""
    people = [(ANA, BEN), (BEN, CHLOE), (CHLOE, DAVE), (DAVE, EVE)]
    return [RosterEntry("*", role, a, (b,)) for role, (a, b) in zip(CRITICAL, people, strict=True)]


def rules(policy: OrganisationPolicy, entries: list[RosterEntry], overrides: list[Override] | None = None,
          ) -> list[tuple[str, str, str]]:
    by_service: dict[str, list[RosterEntry]] = {}
    for entry in entries:
        by_service.setdefault(entry.service, []).append(entry)
    by_service_overrides: dict[str, list[Override]] = {}
    for override in overrides or []:
        by_service_overrides.setdefault(override.service, []).append(override)
    report = spof_report(only_checkout(policy), by_service, by_service_overrides, NOW)
    return [(f.service, f.role, f.rule) for f in report.findings]


def test_a_roster_with_two_people_per_critical_role_has_no_finding(policy: OrganisationPolicy) -> None:
    assert rules(policy, healthy()) == []


def test_a_critical_role_nobody_holds_is_reported(policy: OrganisationPolicy) -> None:
    entries = [e for e in healthy() if e.role != "security_lead"]
    assert rules(policy, entries) == [("checkout", "security_lead", "nobody")]


def test_a_critical_role_on_one_person_is_reported_where_it_is_set(policy: OrganisationPolicy) -> None:
    entries = [*healthy(), RosterEntry("checkout", "deputy", EVE)]
    assert rules(policy, entries) == [("checkout", "deputy", "too_few_people")]


def test_a_delegate_who_is_the_primary_again_does_not_count_twice(policy: OrganisationPolicy) -> None:
    entries = [*healthy(), RosterEntry("checkout", "commander", EVE, (EVE,))]
    assert ("checkout", "commander", "too_few_people") in rules(policy, entries)


def test_nobody_may_be_the_only_person_for_two_critical_roles(policy: OrganisationPolicy) -> None:
    entries = [*healthy(), RosterEntry("checkout", "commander", EVE), RosterEntry("checkout", "deputy", EVE)]
    found = rules(policy, entries)
    assert ("checkout", "commander, deputy", "sole_for_two") in found


def test_the_primary_of_two_critical_roles_at_once_is_reported(policy: OrganisationPolicy) -> None:
    entries = [*healthy(), RosterEntry("checkout", "commander", EVE, (ANA,)),
               RosterEntry("checkout", "deputy", EVE, (BEN,))]
    assert rules(policy, entries) == [("checkout", "commander, deputy", "primary_of_two")]


def test_an_override_that_leaves_the_role_on_one_person_is_reported(policy: OrganisationPolicy) -> None:
    # Ben stands in for Ana, and Ben is the only delegate: for those days the role hangs on Ben.
    vacation = Override("*", "commander", BEN, NOW + timedelta(days=3), NOW + timedelta(days=10))
    assert rules(policy, healthy(), [vacation]) == [("*", "commander", "override_alone")]


def test_two_overrides_with_a_short_hole_between_them_are_reported(policy: OrganisationPolicy) -> None:
    first = Override("*", "commander", CHLOE, NOW + timedelta(days=1), NOW + timedelta(days=3))
    second = Override("*", "commander", DAVE, NOW + timedelta(days=3, hours=4), NOW + timedelta(days=6))
    assert rules(policy, healthy(), [first, second]) == [("*", "commander", "override_gap")]
    back_to_back = replace(second, start=first.end)
    assert rules(policy, healthy(), [first, back_to_back]) == []


def test_a_past_override_is_not_reported(policy: OrganisationPolicy) -> None:
    old = Override("*", "commander", BEN, NOW - timedelta(days=10), NOW - timedelta(days=3))
    assert rules(policy, healthy(), [old]) == []


def test_a_round_the_clock_role_without_a_holder_before_its_rotation_starts_is_reported(
        policy: OrganisationPolicy) -> None:
    # The commander is required by SEV1 (24x7). Its rotation starts in ten days; before, nobody holds it.
    later = Rotation((ANA, CHLOE), 0, 9, "Europe/Paris", date(2026, 12, 7))
    entries = [e for e in healthy() if e.role != "commander"] + [RosterEntry("*", "commander", None, (), later)]
    found = rules(policy, entries)
    assert found == [("*", "commander", "coverage")]
    started = replace(later, since=date(2026, 11, 23))
    entries[-1] = RosterEntry("*", "commander", None, (), started)
    assert rules(policy, entries) == []
