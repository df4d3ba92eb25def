"""Metrics on a known data set; every expected figure is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incident.lifecycle import Status
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from services.metrics import Rate, Report, compute_report
from services.report_views import report_json, report_markdown
from tests.conftest import ALICE, BOB

SINCE = datetime(2026, 10, 5, tzinfo=UTC)  # Monday of ISO week 2026-W41
UNTIL = datetime(2026, 10, 19, tzinfo=UTC)  # Monday of W43, excluded: the period is W41 and W42
NOW = datetime(2026, 10, 22, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def declare(policy: OrganisationPolicy, number: int, severity: str, kind: str, when: datetime,
            services: tuple[str, ...] = ()) -> Incident:
    return Incident.declare(incident_id=f"INC-2026-{number:04d}", title=f"Incident {number}", summary="",
                            incident_type=kind, severity=severity, declared_by=ALICE, at=when, policy=policy,
                            services=services)


def data_set(policy: OrganisationPolicy) -> tuple[list[Incident], dict[str, list[TimelineEvent]]]:
    """Four incidents in the period, two just outside it. Times are UTC."""
    # A: SEV1 outage, Mon 5 Oct 10:00; ack 10:04 (4 min); monitoring 10:40 (mitigated at 40 min);
    #    resolved 11:30 (90 min); postmortem completed and closed on the 9th. Follow-ups: #1 done on the
    #    11th, #2 due on the 20th and not done (late on the 22nd).
    a = declare(policy, 1, "SEV1", "outage", at(5, 10), ("checkout", "payments"))
    a.acknowledge(actor=BOB, at=at(5, 10, 4))
    a.transition(Status.INVESTIGATING, actor=BOB, at=at(5, 10, 10), policy=policy)
    a.transition(Status.MONITORING, actor=BOB, at=at(5, 10, 40), policy=policy)
    a.resolve(actor=BOB, at=at(5, 11, 30), policy=policy, resolution="fixed", override_reason="test data")
    a.edit_postmortem(actor=BOB, at=at(5, 12), policy=policy, factors=["pool too small"],
                      sections={"summary": "s", "impact": "i", "went_wrong": "w"})
    a.add_follow_up(title="Alert on card timeouts", owner=BOB, actor=BOB, at=at(5, 12), policy=policy,
                    due_at=at(12, 9))
    a.add_follow_up(title="Load-test checkout", owner=ALICE, actor=BOB, at=at(5, 12), policy=policy,
                    due_at=at(20, 9))
    a.complete_postmortem(actor=BOB, at=at(9, 8), policy=policy)
    a.close(actor=BOB, at=at(9, 9), policy=policy)
    a.complete_follow_up(number=1, actor=BOB, at=at(11, 9))
    # B: SEV2 degradation, Wed 7 Oct 14:00; ack 14:10 (10 min); resolved straight away at 16:00, which is
    #    also its mitigation (120 min each); its postmortem is owed, not completed. Follow-up #1 due the 25th.
    b = declare(policy, 2, "SEV2", "degradation", at(7, 14), ("checkout",))
    b.acknowledge(actor=BOB, at=at(7, 14, 10))
    b.resolve(actor=BOB, at=at(7, 16), policy=policy, resolution="fixed", override_reason="test data")
    b.add_follow_up(title="Raise pool size", owner=ALICE, actor=BOB, at=at(8, 9), policy=policy, due_at=at(25, 9))
    # C: SEV3 outage, Tue 13 Oct 09:00; never acknowledged; monitoring 09:30 (mitigated at 30 min), back to
    #    investigating, resolved 10:00, reopened, resolved again 12:00: time to resolve is the last one, 180 min.
    #    No postmortem: SEV3 does not require one and outages have no rule of their own.
    c = declare(policy, 3, "SEV3", "outage", at(13, 9), ("payments",))
    c.transition(Status.MONITORING, actor=BOB, at=at(13, 9, 30), policy=policy)
    c.transition(Status.INVESTIGATING, actor=BOB, at=at(13, 9, 45), policy=policy)
    c.resolve(actor=BOB, at=at(13, 10), policy=policy, resolution="fixed", override_reason="test data")
    c.reopen(actor=BOB, at=at(13, 10, 30), policy=policy, reason="errors are back")
    c.resolve(actor=BOB, at=at(13, 12), policy=policy, resolution="fixed", override_reason="test data")
    # D: SEV2 security, Thu 15 Oct 20:00; ack 20:06 (6 min); still investigating: no mitigation, no
    #    resolution, and no postmortem owed yet.
    d = declare(policy, 4, "SEV2", "security", at(15, 20))
    d.acknowledge(actor=BOB, at=at(15, 20, 6))
    d.transition(Status.INVESTIGATING, actor=BOB, at=at(15, 20, 7), policy=policy)
    # Outside the period: one second before it (resolved after 60 min, its follow-up late since the 6th),
    # and exactly at its (excluded) end.
    before = declare(policy, 5, "SEV1", "outage", datetime(2026, 10, 4, 23, 59, 59, tzinfo=UTC))
    before.resolve(actor=BOB, at=datetime(2026, 10, 5, 0, 59, 59, tzinfo=UTC), policy=policy, resolution="fixed",
                   override_reason="test data")
    before.add_follow_up(title="Outside the period", owner=BOB, actor=BOB, at=at(5, 9), policy=policy,
                         due_at=at(6, 9))
    after = declare(policy, 6, "SEV4", "degradation", UNTIL)
    incidents = [d, c, b, a, before, after]  # any order
    timelines = {i.id: list(i.pending) for i in incidents}
    for incident in incidents:
        incident.mark_stored()
    return incidents, timelines


@pytest.fixture
def report(policy: OrganisationPolicy) -> Report:
    incidents, timelines = data_set(policy)
    return compute_report(incidents, since=SINCE, until=UNTIL, now=NOW,
                          requires_postmortem=policy.postmortem_required, timelines=timelines)


def test_incidents_are_counted_by_severity_type_service_and_status(report: Report) -> None:
    assert report.total == 4  # A, B, C, D; the ones at 4 Oct 23:59:59 and at the end are outside
    assert report.by_severity == {"SEV2": 2, "SEV1": 1, "SEV3": 1}  # B+D; A; C — most first, then by name
    assert list(report.by_severity) == ["SEV2", "SEV1", "SEV3"]
    assert report.by_type == {"outage": 2, "degradation": 1, "security": 1}  # A+C; B; D
    assert report.by_service == {"checkout": 2, "payments": 2}  # A+B; A+C (A counts for both); D has none
    # A closed; D investigating; B in postmortem (a follow-up was added); C resolved: one each, by name.
    assert report.by_status == {"closed": 1, "investigating": 1, "postmortem": 1, "resolved": 1}


def test_time_to_acknowledge_is_mean_and_median_over_acknowledged_incidents(report: Report) -> None:
    # A 4 min, B 10 min, D 6 min (C never acknowledged): mean (4 + 10 + 6) / 3 = 6 min 40 s, median 6 min.
    assert (report.acknowledge.count, report.acknowledge.mean, report.acknowledge.median) == (
        3, minutes(6) + timedelta(seconds=40), minutes(6))


def test_time_to_mitigate_is_the_first_move_to_monitoring_or_resolved(report: Report) -> None:
    # A 40 min (monitoring), B 120 min (resolved), C 30 min (monitoring, before going back): D none.
    # Mean (40 + 120 + 30) / 3 = 63 min 20 s; median 40 min.
    assert (report.mitigate.count, report.mitigate.mean, report.mitigate.median) == (
        3, minutes(63) + timedelta(seconds=20), minutes(40))


def test_time_to_resolve_counts_the_last_resolution_of_resolved_incidents(report: Report) -> None:
    # A 90 min, B 120 min, C 180 min (its second resolution at 12:00); D is active.
    # Mean (90 + 120 + 180) / 3 = 130 min; median 120 min.
    assert (report.resolve.count, report.resolve.mean, report.resolve.median) == (3, minutes(130), minutes(120))


def test_without_timelines_time_to_mitigate_has_no_figures(policy: OrganisationPolicy) -> None:
    incidents, _ = data_set(policy)
    report = compute_report(incidents, since=SINCE, until=UNTIL, now=NOW,
                            requires_postmortem=policy.postmortem_required)
    assert (report.mitigate.count, report.mitigate.mean, report.mitigate.median) == (0, None, None)
    assert report.resolve.count == 3


def test_postmortem_completion_counts_completed_postmortems_of_those_opened(report: Report) -> None:
    # Owed: A (SEV1, completed) and B (SEV2, not completed); C's SEV3 outage owes none; D is still active.
    assert report.postmortems == Rate(done=1, total=2) and report.postmortems.ratio == 0.5


def test_closing_with_an_override_does_not_complete_the_postmortem(policy: OrganisationPolicy) -> None:
    incident = declare(policy, 7, "SEV2", "outage", at(6, 9))
    incident.resolve(actor=BOB, at=at(6, 10), policy=policy, resolution="fixed", override_reason="test data")
    incident.close(actor=BOB, at=at(6, 11), policy=policy, override_reason="vendor outage", may_override=True)
    report = compute_report([incident], since=SINCE, until=UNTIL, now=NOW,
                            requires_postmortem=policy.postmortem_required)
    assert report.by_status == {"closed": 1} and report.postmortems == Rate(done=0, total=1)


def test_follow_ups_give_a_completion_rate_and_the_overdue_ones(report: Report) -> None:
    # A #1 done, A #2 due the 20th (late on the 22nd), B #1 due the 25th: 1 done of 3. The follow-up of the
    # incident declared before the period is late too, but not counted here.
    assert report.follow_ups == Rate(done=1, total=3)
    assert [(f.incident_id, f.number, f.title, f.owner, f.due_at) for f in report.overdue_follow_ups] == [
        ("INC-2026-0001", 2, "Load-test checkout", ALICE, at(20, 9))]


def test_the_weekly_trend_has_every_iso_week_of_the_period(policy: OrganisationPolicy) -> None:
    incidents, _ = data_set(policy)
    # From Thu 1 Oct (W40, nothing declared) to 19 Oct excluded: W40, W41, W42.
    report = compute_report(incidents, since=datetime(2026, 10, 1, tzinfo=UTC), until=UNTIL, now=NOW,
                            requires_postmortem=policy.postmortem_required)
    assert [(w.label, w.starts, w.declared, w.resolved, w.median_time_to_resolve) for w in report.weeks] == [
        ("2026-W40", date(2026, 9, 28), 1, 1, minutes(60)),  # the SEV1 of 4 Oct 23:59:59 (Sunday), 60 min
        ("2026-W41", date(2026, 10, 5), 2, 2, minutes(105)),  # A 90 and B 120: median (90 + 120) / 2
        ("2026-W42", date(2026, 10, 12), 2, 1, minutes(180)),  # C 180; D unresolved
    ]


def test_the_json_report_keeps_its_documented_shape(report: Report) -> None:
    body = report_json(report)
    assert body["schema"] == "devopsbot.report/1"
    assert body["period"] == {"since": "2026-10-05T00:00:00Z", "until": "2026-10-19T00:00:00Z"}
    assert body["generated_at"] == "2026-10-22T12:00:00Z"
    assert body["incidents"]["total"] == 4
    assert body["time_to_acknowledge"] == {"count": 3, "mean_seconds": 400.0, "median_seconds": 360.0}
    assert body["time_to_mitigate"] == {"count": 3, "mean_seconds": 3800.0, "median_seconds": 2400.0}
    assert body["time_to_resolve"] == {"count": 3, "mean_seconds": 7800.0, "median_seconds": 7200.0}
    assert body["postmortems"] == {"completed": 1, "owed": 2, "rate": 0.5}
    assert body["follow_ups"] == {"done": 1, "total": 3, "rate": 0.3333, "overdue": [
        {"incident_id": "INC-2026-0001", "number": 2, "title": "Load-test checkout", "owner": "Alice Martin",
         "due_at": "2026-10-20T09:00:00Z", "link": ""}]}
    assert body["weeks"] == [
        {"week": "2026-W41", "starts": "2026-10-05", "declared": 2, "resolved": 2,
         "median_time_to_resolve_seconds": 6300.0},
        {"week": "2026-W42", "starts": "2026-10-12", "declared": 2, "resolved": 1,
         "median_time_to_resolve_seconds": 10800.0}]


def test_the_markdown_report_reads_as_tables(report: Report) -> None:
    text = report_markdown(report)
    assert text.startswith("# Incident report, 2026-10-05 00:00 to 2026-10-19 00:00 UTC (end excluded)\n")
    assert "**4** incidents declared." in text
    assert "| SEV2 | 2 |" in text and "| checkout | 2 |" in text
    assert "| time to acknowledge | 3 | 6 min 40 s | 6 min 00 s |" in text
    assert "| time to mitigate | 3 | 1 h 03 min | 40 min 00 s |" in text
    assert "| time to resolve | 3 | 2 h 10 min | 2 h 00 min |" in text
    assert "- Postmortems completed: 50% (1 of 2)" in text
    assert "- Follow-ups done: 33% (1 of 3)" in text
    assert "| INC-2026-0001 | #2 Load-test checkout | Alice Martin | 2026-10-20 |" in text
    assert "| 2026-W42 | 2026-10-12 | 2 | 1 | 3 h 00 min |" in text


def test_a_late_follow_up_of_a_security_incident_is_listed_without_its_title_or_link(
        policy: OrganisationPolicy) -> None:
    # The dashboard and the leadership digest show these lists to people outside the incident.
    from services.dashboard import DashboardData, page_data
    from services.metrics import past_due

    incident = Incident.declare(incident_id="INC-2026-0009", title="Leaked credentials", summary="",
                                incident_type="security", severity="SEV2", declared_by=ALICE, at=at(5, 9),
                                policy=policy, private=True)
    incident.resolve(actor=BOB, at=at(5, 10), policy=policy, resolution="rotated", override_reason="test data")
    incident.add_follow_up(title="Rotate the leaked AWS key AKIA123", owner=BOB, actor=BOB, at=at(5, 11),
                           policy=policy, due_at=at(12, 9), link="https://tracker.example/secret-key-rotation")
    late = past_due([incident], NOW)
    page = page_data(DashboardData(NOW, [], late, compute_report(
        [], since=SINCE, until=UNTIL, now=NOW, requires_postmortem=policy.postmortem_required)), policy)
    assert [(f.incident_id, f.number, f.owner) for f in late] == [("INC-2026-0009", 1, BOB)]
    shown = repr(late) + repr(page["past_due"])
    assert "AKIA123" not in shown and "secret-key-rotation" not in shown
    assert page["past_due"][0]["title"] == "Security incident follow-up (details restricted)"
