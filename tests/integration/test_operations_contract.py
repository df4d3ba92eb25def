"""Contract of the outbox, the audit log, Teams' health and small state values: memory and Azurite alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from incident.errors import ConcurrencyConflict
from incident.model import Incident
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from services.ports import SERVICE_HEALTH, AuditRecord, TeamsFlag
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def stored_incident(deps: Dependencies, policy: OrganisationPolicy) -> Incident:
    incident = Incident.declare(incident_id="INC-2026-0001", title="Checkout failing", summary="",
                                incident_type="outage", severity="SEV2", declared_by=ALICE, at=T0, policy=policy)
    await deps.incidents.add(incident)
    return incident


async def test_each_save_leaves_an_outbox_entry_naming_its_events(deps: Dependencies,
                                                                   policy: OrganisationPolicy) -> None:
    incident = await stored_incident(deps, policy)
    incident.post_update(actor=ALICE, at=T0 + timedelta(minutes=5), text="Rolling back")
    incident.acknowledge(actor=ALICE, at=T0 + timedelta(minutes=6))
    await deps.incidents.save(incident)
    first, second = await deps.incidents.outbox(incident.id)
    assert (first.first_sequence, first.sequences, first.done) == (1, (1,), ())
    assert (second.first_sequence, second.sequences) == (2, (2, 3))


async def test_outbox_progress_is_kept_and_a_cleared_entry_is_gone(deps: Dependencies,
                                                                    policy: OrganisationPolicy) -> None:
    incident = await stored_incident(deps, policy)
    [entry] = await deps.incidents.outbox(incident.id)
    await deps.incidents.outbox_progress(replace(entry, done=("tell_declared", "mail_stakeholders")))
    [kept] = await deps.incidents.outbox(incident.id)
    assert kept.done == ("tell_declared", "mail_stakeholders")
    await deps.incidents.outbox_clear(kept)
    assert await deps.incidents.outbox(incident.id) == []
    await deps.incidents.outbox_clear(kept)  # clearing twice is harmless


async def test_outbox_rows_are_not_timeline_events(deps: Dependencies, policy: OrganisationPolicy) -> None:
    incident = await stored_incident(deps, policy)
    assert [e.kind for e in await deps.incidents.timeline(incident.id)] == ["declared"]


async def test_an_idempotency_record_can_be_looked_up_without_claiming_it(deps: Dependencies) -> None:
    assert await deps.idempotency.find("action-link:abc") is None
    await deps.idempotency.begin("action-link:abc", T0, timedelta(days=30))
    assert (await deps.idempotency.find("action-link:abc")) is not None
    await deps.idempotency.complete("action-link:abc", "used")
    found = await deps.idempotency.find("action-link:abc")
    assert found is not None and found.done and found.result == "used"


async def test_audit_records_are_read_back_by_day_in_order(deps: Dependencies) -> None:
    assert deps.audit is not None
    for minutes, kind in ((5, "second"), (1, "first")):
        await deps.audit.record(AuditRecord(T0 + timedelta(minutes=minutes), kind, {"detail": "<x> & 'y'"}))
    await deps.audit.record(AuditRecord(T0 + timedelta(days=1), "next day"))
    today = await deps.audit.on_day(T0)
    assert [r.kind for r in today] == ["first", "second"]
    assert today[0].detail == {"detail": "<x> & 'y'"}


async def test_counted_records_share_one_row_per_minute_even_when_counted_at_once(deps: Dependencies) -> None:
    import asyncio

    assert deps.audit is not None
    audit = deps.audit
    await asyncio.gather(*(audit.count(AuditRecord(T0 + timedelta(seconds=n % 60), "junk", {"n": str(n)}))
                           for n in range(12)))
    await audit.count(AuditRecord(T0 + timedelta(minutes=1), "junk", {"n": "later"}))
    first, second = await audit.on_day(T0)
    assert (first.at, first.count, len(first.samples)) == (T0, 12, 5)
    assert (second.count, second.detail) == (1, {"n": "later"})


async def test_teams_is_down_after_enough_recent_failures_and_up_after_they_age_out(deps: Dependencies) -> None:
    health = deps.health
    assert health is not None
    for n in range(4):
        await health.record_failure(T0 + timedelta(seconds=n), "HTTP 500")
    assert not (await health.status(T0 + timedelta(seconds=5))).down
    await health.record_failure(T0 + timedelta(seconds=5), "HTTP 500")
    status = await health.status(T0 + timedelta(seconds=6))
    assert status.down and not status.manual and status.recent_failures == 5
    assert not (await health.status(T0 + timedelta(minutes=11))).down


async def test_a_success_makes_earlier_failures_stop_counting(deps: Dependencies) -> None:
    health = deps.health
    assert health is not None
    for n in range(5):
        await health.record_failure(T0 + timedelta(seconds=n), "timeout")
    await health.record_success(T0 + timedelta(seconds=10))
    assert not (await health.status(T0 + timedelta(seconds=11))).down


async def test_an_admins_flag_holds_until_cleared(deps: Dependencies) -> None:
    health = deps.health
    assert health is not None
    await health.set_down(T0, "Dana Admin", "Teams outage MO123456")
    status = await health.status(T0 + timedelta(days=2))
    assert status.down and status.manual and "MO123456" in status.reason and "Dana Admin" in status.reason
    await health.set_up(T0 + timedelta(days=2), "Dana Admin")
    assert not (await health.status(T0 + timedelta(days=2, seconds=1))).down


async def test_the_flag_changes_only_under_the_tag_it_was_read_with(deps: Dependencies) -> None:
    health = deps.health
    assert health is not None
    assert await health.flag() == (TeamsFlag(), "")
    flagged = TeamsFlag(True, SERVICE_HEALTH, "Microsoft 365 service health issue TM123456", "TM123456")
    await health.replace_flag(T0, flagged, "")
    with pytest.raises(ConcurrencyConflict):
        await health.replace_flag(T0, TeamsFlag(True, SERVICE_HEALTH, "another", "TM999999"), "")
    stored, tag = await health.flag()
    assert stored == flagged
    status = await health.status(T0)
    assert (status.down, status.set_by, status.issue) == (True, SERVICE_HEALTH, "TM123456")
    await health.set_down(T0, "Dana Admin", "Teams outage")  # a person's word changes the tag
    with pytest.raises(ConcurrencyConflict):
        await health.replace_flag(T0, TeamsFlag(False, SERVICE_HEALTH, "", "TM123456"), tag)
    status = await health.status(T0)
    assert (status.down, status.set_by, status.issue) == (True, "Dana Admin", "")


async def test_state_values_round_trip(deps: Dependencies) -> None:
    assert deps.state is not None
    assert await deps.state.get("mailbox-delta:incidents@contoso.example") is None
    await deps.state.put("mailbox-delta:incidents@contoso.example", "https://graph/delta?token=1")
    await deps.state.put("mailbox-delta:incidents@contoso.example", "https://graph/delta?token=2")
    assert await deps.state.get("mailbox-delta:incidents@contoso.example") == "https://graph/delta?token=2"




async def test_due_items_differing_only_in_subject_are_kept_apart(deps: Dependencies) -> None:
    from services.ports import DueItem

    for number in (1, 2):
        await deps.due_work.schedule(DueItem("follow_up_overdue", "INC-2026-0001", T0, {"number": str(number)},
                                             subject=f"follow-up-{number}"))
    due = await deps.due_work.due(T0)
    assert sorted((i.subject, i.payload["number"]) for i in due) == [("follow-up-1", "1"), ("follow-up-2", "2")]
    claimed = await deps.due_work.claim(due[0], T0, timedelta(minutes=5))
    assert claimed is not None
    await deps.due_work.complete(claimed)
    [left] = await deps.due_work.due(T0 + timedelta(minutes=10))
    assert left.subject != claimed.subject


async def test_scheduling_many_keeps_existing_items_and_adds_the_new_ones(deps: Dependencies) -> None:
    from services.ports import DueItem

    existing = DueItem("ack_deadline", "INC-2026-0001", T0)
    await deps.due_work.schedule(existing)
    claimed = await deps.due_work.claim((await deps.due_work.due(T0))[0], T0, timedelta(minutes=5))
    assert claimed is not None
    await deps.due_work.schedule_many([existing, DueItem("status_reminder", "INC-2026-0001", T0),
                                       DueItem("stale_check", "INC-2026-0001", T0)])
    due = await deps.due_work.due(T0)  # the claimed one stays leased: scheduling again did not reset it
    assert sorted(i.kind for i in due) == ["stale_check", "status_reminder"]


async def test_scheduling_many_new_items_stores_them_all(deps: Dependencies) -> None:
    from services.ports import DueItem

    items = [DueItem("plan_step_due", "INC-2026-0001", T0 + timedelta(minutes=m), {"steps": str(m)})
             for m in (5, 10, 15)]
    await deps.due_work.schedule_many(items)
    await deps.due_work.schedule_many(items)  # twice: still one each
    assert [i.payload["steps"] for i in await deps.due_work.due(T0 + timedelta(hours=1))] == ["5", "10", "15"]
