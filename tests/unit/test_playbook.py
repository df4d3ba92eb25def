"""Playbooks: each verification rule, the four-eyes rule, rejections, expiry, superseded versions, coverage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from incident import playbook as pb
from incident.errors import InvalidValue, NotPermitted
from incident.people import Person

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
AUTHOR, ANA, BEN = Person("29:author", "Alex Author"), Person("29:ana", "Ana Lopez"), Person("29:ben", "Ben Ito")
POLICY = pb.PlaybookPolicy(approvals_required=1, approval_valid_days=180, last_tested_max_days=90, max_bytes=5000,
                           approvers={"checkout": (ANA, BEN, AUTHOR)})
GOOD = """# Checkout playbook
Owner: Payments team
Last tested: 2026-11-01

## Symptoms
Card payments time out; see the [dashboard](https://grafana.example/d/checkout).
## Diagnosis
Check the payment gateway latency.
## Mitigation
Fail over to the secondary gateway.
## Rollback
Roll back the last release.
## Verification of recovery
Error rate below 1% for 15 minutes.
## Contacts
Payments on-call.
"""


def problems(text: str, policy: pb.PlaybookPolicy = POLICY) -> list[str]:
    return pb.verify(text, NOW, policy)[0]


def test_a_complete_playbook_passes_every_check() -> None:
    found, owner, tested = pb.verify(GOOD, NOW, POLICY)
    assert (found, owner, tested.isoformat() if tested else None) == ([], "Payments team", "2026-11-01")


@pytest.mark.parametrize("section", pb.REQUIRED_SECTIONS)
def test_each_required_section_must_be_a_heading(section: str) -> None:
    heading = next(line for line in GOOD.splitlines() if line.lower().lstrip("# ") == section)
    assert problems(GOOD.replace(heading + "\n", "")) == [f"missing sections (as Markdown headings): {section}"]
    # The word in a paragraph is not a section.
    assert problems(GOOD.replace(heading, heading.lstrip("# "))) == [
        f"missing sections (as Markdown headings): {section}"]


def test_an_owner_is_required() -> None:
    assert problems(GOOD.replace("Owner: Payments team\n", "")) == ["no owner: add a line 'Owner: <name>'"]


def test_a_last_tested_date_is_required_and_recent() -> None:
    assert problems(GOOD.replace("Last tested: 2026-11-01\n", "")) == [
        "no last-tested date: add a line 'Last tested: YYYY-MM-DD'"]
    assert problems(GOOD.replace("2026-11-01", "2026-07-01")) == [
        "last tested 2026-07-01, 149 days ago; test it again (at most 90 days)"]
    assert problems(GOOD.replace("2026-11-01", "2026-12-24")) == ["last tested 2026-12-24 is in the future"]


def test_empty_links_are_refused() -> None:
    assert problems(GOOD + "\nSee [the runbook]() and [x]( ).\n") == ["empty links: [the runbook](), [x]( )"]


def test_a_playbook_over_the_size_limit_is_refused() -> None:
    assert problems(GOOD + "x" * 5000) == [f"it is {len(GOOD.encode()) + 5000} bytes; the limit is 5000"]


def test_a_refused_submission_lists_every_problem_at_once() -> None:
    with pytest.raises(pb.PlaybookError) as refused:
        pb.submit("checkout", "# Nothing\n[x]()", AUTHOR, NOW, [], POLICY)
    assert len(refused.value.problems) == 4  # sections, owner, last tested, empty link


def submitted(existing: list[pb.PlaybookVersion] | None = None) -> pb.PlaybookVersion:
    version, event = pb.submit("checkout", GOOD, AUTHOR, NOW, existing or [], POLICY)
    assert (event.kind, event.actor, event.version) == ("submitted", AUTHOR, version.version)
    return version


def test_versions_are_numbered_from_one() -> None:
    first = submitted()
    second = submitted(existing=[first])
    assert (first.version, second.version) == (1, 2)


def test_the_author_cannot_approve_their_own_version_another_approver_can() -> None:
    version = submitted()
    with pytest.raises(NotPermitted, match="the author of checkout v1 cannot review it"):
        pb.approve(version, AUTHOR, NOW, 1, POLICY)
    approved, event = pb.approve(version, ANA, NOW, 1, POLICY)
    assert approved.state(NOW, POLICY, 1) is pb.State.APPROVED
    assert (event.kind, event.actor, event.at, event.version) == ("approved", ANA, NOW, 1)


def test_someone_who_is_not_an_approver_of_the_service_cannot_approve() -> None:
    with pytest.raises(NotPermitted, match="only Ana Lopez, Ben Ito, Alex Author may review"):
        pb.approve(submitted(), Person("29:eve", "Eve"), NOW, 1, POLICY)


def test_the_configured_number_of_approvals_makes_it_approved() -> None:
    two = replace(POLICY, approvals_required=2)
    version, _ = pb.approve(submitted(), ANA, NOW, 1, two)
    assert version.state(NOW, two, 1) is pb.State.SUBMITTED
    with pytest.raises(InvalidValue, match="already approved"):
        pb.approve(version, ANA, NOW, 1, two)
    version, _ = pb.approve(version, BEN, NOW, 1, two)
    assert version.state(NOW, two, 1) is pb.State.APPROVED


def test_a_rejection_needs_a_comment_and_ends_the_review() -> None:
    with pytest.raises(InvalidValue, match="a rejection needs a comment"):
        pb.reject(submitted(), ANA, NOW, "  ", 1, POLICY)
    rejected, event = pb.reject(submitted(), ANA, NOW, "Add the failover command", 1, POLICY)
    assert rejected.state(NOW, POLICY, 1) is pb.State.REJECTED and event.detail == "Add the failover command"
    with pytest.raises(InvalidValue, match="was rejected"):
        pb.approve(rejected, BEN, NOW, 1, POLICY)


def test_approving_a_superseded_version_is_refused() -> None:
    with pytest.raises(InvalidValue, match="checkout v1 is superseded by v2"):
        pb.approve(submitted(), ANA, NOW, 2, POLICY)


def test_approvals_expire_and_can_be_renewed() -> None:
    approved, _ = pb.approve(submitted(), ANA, NOW, 1, POLICY)
    later = NOW + timedelta(days=181)
    assert approved.state(later, POLICY, 1) is pb.State.EXPIRED
    assert pb.current_approved([approved], later, POLICY) is None
    renewed, _ = pb.approve(approved, ANA, later, 1, POLICY)
    assert renewed.state(later, POLICY, 1) is pb.State.APPROVED


def test_the_current_approved_version_stays_until_a_newer_one_is_approved() -> None:
    first, _ = pb.approve(submitted(), ANA, NOW, 1, POLICY)
    second = replace(submitted(existing=[first]), submitted_at=NOW + timedelta(days=1))
    assert pb.current_approved([first, second], NOW + timedelta(days=1), POLICY) == first
    second, _ = pb.approve(second, BEN, NOW + timedelta(days=2), 2, POLICY)
    assert pb.current_approved([first, second], NOW + timedelta(days=2), POLICY) == second


def test_coverage_lists_services_without_an_approved_unexpired_playbook() -> None:
    approved, _ = pb.approve(submitted(), ANA, NOW, 1, POLICY)
    versions = {"checkout": [approved], "payments": [submitted()]}
    assert pb.coverage_gaps(["checkout", "payments", "search"], versions, NOW, POLICY) == ["payments", "search"]
    assert pb.coverage_gaps(["checkout"], versions, NOW + timedelta(days=200), POLICY) == ["checkout"]


def test_a_playbook_far_over_the_size_limit_is_refused_without_being_read() -> None:
    far = "# x" + " " * (4 * POLICY.max_bytes) + "y"  # a shape a backtracking heading pattern never finished
    assert problems(far) == [f"it is {len(far)} bytes; the limit is 5000"]
