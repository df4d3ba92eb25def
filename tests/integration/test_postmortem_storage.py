"""The postmortem and its follow-ups are stored with the incident, on the fakes and on Azurite alike."""

from __future__ import annotations

from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from tests.unit.postmortem_fixtures import rich_incident


async def test_the_postmortem_and_follow_ups_read_back_field_for_field(deps: Dependencies,
                                                                       policy: OrganisationPolicy) -> None:
    incident = rich_incident(policy)
    await deps.incidents.add(incident)
    stored = await deps.incidents.get(incident.id)
    assert stored.postmortem == incident.postmortem
    assert stored.follow_ups == incident.follow_ups
    assert [e.kind for e in await deps.incidents.timeline(incident.id)] == [e.kind for e in incident.just_stored]


async def test_a_change_to_the_postmortem_is_stored_with_the_incident(deps: Dependencies,
                                                                      policy: OrganisationPolicy) -> None:
    incident = rich_incident(policy)
    await deps.incidents.add(incident)
    changed = await deps.incidents.get(incident.id)
    at = changed.follow_ups[-1].created_at
    changed.complete_follow_up(number=1, actor=changed.declared_by, at=at)
    await deps.incidents.save(changed)
    stored = await deps.incidents.get(incident.id)
    assert [f.is_done for f in stored.follow_ups] == [True, True]


async def test_incidents_with_open_follow_ups_are_found_until_those_are_done(deps: Dependencies,
                                                                            policy: OrganisationPolicy) -> None:
    incident = rich_incident(policy)
    # Stored in two steps: declared, then the rest, as a real incident is (the index follows saves).
    events = list(incident.pending)
    incident.pending = events[:1]
    await deps.incidents.add(incident)
    incident.pending = events[1:]
    incident.event_count = 1
    await deps.incidents.save(incident)
    [found] = await deps.incidents.with_open_follow_ups()
    assert found.id == incident.id and [f.number for f in found.follow_ups if not f.is_done] == [1]
    changed = await deps.incidents.get(incident.id)
    changed.complete_follow_up(number=1, actor=changed.declared_by, at=changed.follow_ups[0].created_at)
    await deps.incidents.save(changed)
    assert await deps.incidents.with_open_follow_ups() == []
