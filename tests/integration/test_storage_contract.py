"""The storage contract every implementation keeps, run on the in-memory fakes and on Azurite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from incident.errors import ConcurrencyConflict, NotFound
from incident.lifecycle import Status
from incident.model import Incident
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from services.ports import DueItem, RosterEntry
from tests.conftest import ALICE, BOB

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def new_incident(policy: OrganisationPolicy, incident_id: str = "INC-2026-0001",
                 severity: str = "SEV2") -> Incident:
    return Incident.declare(
        incident_id=incident_id, title="Checkout failing", summary="Card payments time out",
        incident_type="outage", severity=severity, declared_by=ALICE, at=T0, policy=policy,
        roles={"commander": ALICE}, services=["checkout", "payments"], environments=["production"],
        regions=["westeurope"], private=False)


async def test_a_stored_incident_reads_back_field_for_field(deps: Dependencies,
                                                          policy: OrganisationPolicy) -> None:
    incident = new_incident(policy)
    incident.acknowledge(actor=BOB, at=T0 + timedelta(minutes=2))
    await deps.incidents.add(incident)
    loaded = await deps.incidents.get("INC-2026-0001")
    for field in ("id", "title", "summary", "type", "severity", "status", "declared_by", "declared_at",
                  "roles", "services", "environments", "regions", "private", "acknowledged_at",
                  "acknowledged_by", "resolved_at", "event_count"):
        assert getattr(loaded, field) == getattr(incident, field), field
    assert loaded.event_count == 2 and loaded.pending == []


async def test_the_timeline_keeps_every_event_in_order(deps: Dependencies, policy: OrganisationPolicy) -> None:
    incident = new_incident(policy)
    await deps.incidents.add(incident)
    loaded = await deps.incidents.get(incident.id)
    loaded.post_update(actor=BOB, at=T0 + timedelta(minutes=5), text="Rolling back <b>now</b>")
    loaded.transition(Status.IDENTIFIED, actor=BOB, at=T0 + timedelta(minutes=6), policy=policy)
    await deps.incidents.save(loaded)
    timeline = await deps.incidents.timeline(incident.id)
    assert [(e.sequence, e.kind) for e in timeline] == [
        (1, "declared"), (2, "update_posted"), (3, "status_changed")]
    assert timeline[1].after == {"update": "Rolling back <b>now</b>"}
    assert timeline[2].before == {"status": "declared"} and timeline[2].actor == BOB
    assert timeline[2].at == T0 + timedelta(minutes=6)


async def test_a_stale_save_is_refused_and_changes_nothing(deps: Dependencies,
                                                          policy: OrganisationPolicy) -> None:
    await deps.incidents.add(new_incident(policy))
    first = await deps.incidents.get("INC-2026-0001")
    second = await deps.incidents.get("INC-2026-0001")
    first.post_update(actor=ALICE, at=T0, text="first writer")
    await deps.incidents.save(first)
    second.post_update(actor=BOB, at=T0, text="second writer, stale")
    with pytest.raises(ConcurrencyConflict):
        await deps.incidents.save(second)
    stored = await deps.incidents.get("INC-2026-0001")
    assert stored.last_update == "first writer"
    assert [e.summary for e in await deps.incidents.timeline("INC-2026-0001")][-1] == "first writer"


async def test_a_failed_transaction_writes_none_of_its_rows(deps: Dependencies,
                                                           policy: OrganisationPolicy) -> None:
    """Atomicity: the conflicting save carried a summary update and two events; none may land."""
    await deps.incidents.add(new_incident(policy))
    stale = await deps.incidents.get("INC-2026-0001")
    winner = await deps.incidents.get("INC-2026-0001")
    winner.acknowledge(actor=ALICE, at=T0)
    await deps.incidents.save(winner)
    stale.post_update(actor=BOB, at=T0, text="one")
    stale.post_update(actor=BOB, at=T0, text="two")
    with pytest.raises(ConcurrencyConflict):
        await deps.incidents.save(stale)
    timeline = await deps.incidents.timeline("INC-2026-0001")
    assert [e.kind for e in timeline] == ["declared", "acknowledged"]


async def test_adding_an_existing_id_is_refused(deps: Dependencies, policy: OrganisationPolicy) -> None:
    await deps.incidents.add(new_incident(policy))
    with pytest.raises(ConcurrencyConflict):
        await deps.incidents.add(new_incident(policy))
    assert len(await deps.incidents.timeline("INC-2026-0001")) == 1


async def test_unknown_incidents_are_not_found(deps: Dependencies) -> None:
    with pytest.raises(NotFound):
        await deps.incidents.get("INC-2026-9999")
    with pytest.raises(NotFound):
        await deps.incidents.timeline("INC-2026-9999")


async def test_sequence_numbers_are_unique_under_concurrent_callers(deps: Dependencies) -> None:
    numbers = await asyncio.gather(*(deps.incidents.next_number("INC", 2026) for _ in range(20)))
    assert sorted(numbers) == list(range(1, 21))
    assert await deps.incidents.next_number("INC", 2027) == 1


async def test_open_incidents_exclude_closed_ones(deps: Dependencies, policy: OrganisationPolicy) -> None:
    for number in (1, 2):
        await deps.incidents.add(new_incident(policy, f"INC-2026-000{number}", severity="SEV3"))
    closing = await deps.incidents.get("INC-2026-0001")
    closing.resolve(actor=ALICE, at=T0, policy=policy, resolution="fixed", override_reason="test")
    await deps.incidents.save(closing)
    closing.transition(Status.CLOSED, actor=ALICE, at=T0, policy=policy)
    await deps.incidents.save(closing)
    assert [i.id for i in await deps.incidents.list_open()] == ["INC-2026-0002"]


async def test_due_work_comes_back_only_when_due_and_earliest_first(deps: Dependencies) -> None:
    late = DueItem("status_reminder", "INC-2026-0001", T0 + timedelta(minutes=30), {"cadence": "30"})
    early = DueItem("ack_deadline", "INC-2026-0002", T0 + timedelta(minutes=5))
    for item in (late, early, late):  # scheduling twice keeps one
        await deps.due_work.schedule(item)
    assert await deps.due_work.due(T0) == []
    [only] = await deps.due_work.due(T0 + timedelta(minutes=10))
    assert (only.kind, only.incident_id, only.due_at) == ("ack_deadline", "INC-2026-0002", early.due_at)
    both = await deps.due_work.due(T0 + timedelta(hours=1))
    assert [i.incident_id for i in both] == ["INC-2026-0002", "INC-2026-0001"]
    assert both[1].payload == {"cadence": "30"}


async def test_a_due_item_is_claimed_by_one_caller_only(deps: Dependencies) -> None:
    await deps.due_work.schedule(DueItem("ack_deadline", "INC-2026-0001", T0))
    [seen_by_a] = await deps.due_work.due(T0)
    [seen_by_b] = await deps.due_work.due(T0)
    claims = await asyncio.gather(deps.due_work.claim(seen_by_a, T0, timedelta(minutes=2)),
                                  deps.due_work.claim(seen_by_b, T0, timedelta(minutes=2)))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1 and winners[0].attempts == 1
    assert await deps.due_work.due(T0 + timedelta(minutes=1)) == []  # leased
    await deps.due_work.complete(winners[0])
    assert await deps.due_work.due(T0 + timedelta(minutes=5)) == []


async def test_a_failed_item_stays_due_after_its_backoff(deps: Dependencies) -> None:
    await deps.due_work.schedule(DueItem("ack_deadline", "INC-2026-0001", T0))
    [item] = await deps.due_work.due(T0)
    claimed = await deps.due_work.claim(item, T0, timedelta(minutes=2))
    assert claimed is not None
    await deps.due_work.retry_later(claimed, T0 + timedelta(minutes=4))
    assert await deps.due_work.due(T0 + timedelta(minutes=3)) == []
    [again] = await deps.due_work.due(T0 + timedelta(minutes=4))
    assert again.attempts == 1
    with pytest.raises(ConcurrencyConflict):
        await deps.due_work.retry_later(claimed, T0 + timedelta(minutes=9))  # stale tag


async def test_conversation_references_round_trip_per_owner(deps: Dependencies) -> None:
    reference = {"conversation": {"id": "19:abc@thread.tacv2;messageid=1"}, "serviceUrl": "https://x/"}
    await deps.conversations.put("INC-2026-0001", "space", reference)
    await deps.conversations.put("INC-2026-0001", "announcement/broadcast#1", {"activityId": "9"})
    await deps.conversations.put("team:19:other", "space", {"other": True})
    assert await deps.conversations.get("INC-2026-0001", "space") == reference
    assert set(await deps.conversations.list_for("INC-2026-0001")) == {"space", "announcement/broadcast#1"}
    assert await deps.conversations.get("INC-2026-0001", "missing") is None


async def test_roster_entries_keep_delegates_in_order(deps: Dependencies) -> None:
    entry = RosterEntry("checkout", "commander", ALICE, (BOB, ALICE))
    await deps.roster.put(entry)
    await deps.roster.put(RosterEntry("checkout", "deputy", BOB))
    await deps.roster.put(RosterEntry("payments/eu", "commander", BOB))
    assert await deps.roster.get("checkout", "commander") == entry
    assert [e.role for e in await deps.roster.for_service("checkout")] == ["commander", "deputy"]
    assert (await deps.roster.get("payments/eu", "commander")) == RosterEntry("payments/eu", "commander", BOB)
    await deps.roster.delete("checkout", "deputy")
    assert await deps.roster.get("checkout", "deputy") is None


async def test_an_idempotency_key_is_owned_once_then_answers_with_its_result(deps: Dependencies) -> None:
    claims = await asyncio.gather(*(deps.idempotency.begin("activity:42", T0, timedelta(minutes=2))
                                    for _ in range(5)))
    assert sum(c.owned for c in claims) == 1
    await deps.idempotency.complete("activity:42", "INC-2026-0001")
    repeat = await deps.idempotency.begin("activity:42", T0 + timedelta(hours=1), timedelta(minutes=2))
    assert not repeat.owned and repeat.record.result == "INC-2026-0001"


async def test_an_abandoned_idempotency_claim_is_taken_over_after_its_lease(deps: Dependencies) -> None:
    assert (await deps.idempotency.begin("k/with#odd?chars", T0, timedelta(minutes=2))).owned
    in_lease = await deps.idempotency.begin("k/with#odd?chars", T0 + timedelta(minutes=1), timedelta(minutes=2))
    assert not in_lease.owned and not in_lease.record.done
    assert (await deps.idempotency.begin("k/with#odd?chars", T0 + timedelta(minutes=3),
                                         timedelta(minutes=2))).owned


async def test_incidents_declared_in_a_date_range_come_from_the_month_index(deps: Dependencies,
                                                                            policy: OrganisationPolicy) -> None:
    """[since, until): the start is included, the end is not; months in between are all read."""
    declared = {
        "INC-2026-0001": datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC),  # before the range
        "INC-2026-0002": datetime(2026, 10, 1, 0, 0, tzinfo=UTC),  # exactly at since: in
        "INC-2026-0003": datetime(2026, 11, 15, 12, 0, tzinfo=UTC),  # a month in between: in
        "INC-2026-0004": datetime(2026, 12, 3, 8, 30, tzinfo=UTC),  # last month, before until: in
        "INC-2026-0005": datetime(2026, 12, 5, 0, 0, tzinfo=UTC),  # exactly at until: out
    }
    for incident_id, at in reversed(declared.items()):
        await deps.incidents.add(Incident.declare(
            incident_id=incident_id, title=f"Incident {incident_id}", summary="", incident_type="outage",
            severity="SEV3", declared_by=ALICE, at=at, policy=policy))
    found = await deps.incidents.declared_between(datetime(2026, 10, 1, tzinfo=UTC),
                                                  datetime(2026, 12, 5, tzinfo=UTC))
    assert [(i.id, i.declared_at) for i in found] == [
        (k, declared[k]) for k in ("INC-2026-0002", "INC-2026-0003", "INC-2026-0004")]
    assert await deps.incidents.declared_between(datetime(2027, 1, 1, tzinfo=UTC),
                                                 datetime(2027, 3, 1, tzinfo=UTC)) == []


async def test_the_month_index_returns_incidents_in_their_current_state(deps: Dependencies,
                                                                        policy: OrganisationPolicy) -> None:
    await deps.incidents.add(new_incident(policy))
    stored = await deps.incidents.get("INC-2026-0001")
    stored.resolve(actor=ALICE, at=T0 + timedelta(hours=2), policy=policy, resolution="fixed",
                   override_reason="test")
    await deps.incidents.save(stored)
    [found] = await deps.incidents.declared_between(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert (found.status, found.resolved_at) == (Status.RESOLVED, T0 + timedelta(hours=2))
