"""Who holds a role at an instant: rows, weekly rotations across daylight-saving changes, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incident.errors import InvalidValue
from incident.people import Person
from incident.roster import Override, RosterEntry, Rotation, chain_at, check_new_override, holders_at

ANA, BEN, CHLOE, DAVE = (Person(f"29:{n}", n.title()) for n in ("ana", "ben", "chloe", "dave"))
# Handing over on Mondays at 09:00 in Paris; 2026-10-19 is a Monday; the clocks go back on Sunday 25 October.
PARIS_WEEKLY = Rotation((ANA, BEN), weekday=0, hour=9, timezone="Europe/Paris", since=date(2026, 10, 19))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_chain_is_the_primary_then_the_delegates_in_order() -> None:
    entry = RosterEntry("checkout", "commander", ANA, (BEN, CHLOE))
    holders = chain_at(entry, [], at("2026-11-27T10:00"))
    assert holders is not None and holders.chain == (ANA, BEN, CHLOE)
    assert holders.primary == ANA and holders.delegates == (BEN, CHLOE)


def test_a_rotation_hands_over_at_the_local_hour_before_and_after_the_clocks_go_back() -> None:
    entry = RosterEntry("checkout", "commander", None, (DAVE,), PARIS_WEEKLY)
    # Monday 19 October, 09:00 CEST is 07:00 UTC: Ana's week starts.
    assert [p.name for p in entry.chain_at(at("2026-10-19T06:59"))] == ["Dave"]  # before the rotation starts
    assert [p.name for p in entry.chain_at(at("2026-10-19T07:00"))] == ["Ana", "Dave"]
    # Monday 26 October, after the change: 09:00 CET is 08:00 UTC. At 07:30 UTC it is 08:30 in Paris.
    assert entry.chain_at(at("2026-10-26T07:30"))[0] == ANA
    assert entry.chain_at(at("2026-10-26T08:00"))[0] == BEN
    assert entry.chain_at(at("2026-11-02T08:00"))[0] == ANA  # and round again


def test_a_rotation_across_the_spring_change_in_new_york() -> None:
    # 2027-03-14: clocks go forward in New York. Hand-off Sundays at 03:00 local (just after the gap).
    rotation = Rotation((ANA, BEN), weekday=6, hour=3, timezone="America/New_York", since=date(2027, 3, 7))
    assert rotation.holder_at(at("2027-03-07T08:00")) == ANA  # 03:00 EST is 08:00 UTC
    assert rotation.holder_at(at("2027-03-14T06:59")) == ANA  # 02:59 EDT would not exist; 01:59 EST
    assert rotation.holder_at(at("2027-03-14T07:00")) == BEN  # 03:00 EDT is 07:00 UTC


def test_an_override_replaces_the_holder_of_the_week_only_while_it_lasts() -> None:
    entry = RosterEntry("checkout", "commander", None, (DAVE,), PARIS_WEEKLY)
    vacation = Override("checkout", "commander", CHLOE, at("2026-10-27T00:00"), at("2026-10-29T00:00"))
    during = chain_at(entry, [vacation], at("2026-10-28T12:00"))
    assert during is not None and during.chain == (CHLOE, DAVE)  # Ben is away: not in the chain
    assert during.override == vacation
    after = chain_at(entry, [vacation], at("2026-10-29T00:00"))
    assert after is not None and after.chain == (BEN, DAVE)


def test_an_override_by_a_delegate_moves_them_up_without_naming_them_twice() -> None:
    entry = RosterEntry("checkout", "commander", ANA, (BEN, CHLOE))
    swap = Override("checkout", "commander", BEN, at("2026-11-27T00:00"), at("2026-11-28T00:00"))
    holders = chain_at(entry, [swap], at("2026-11-27T10:00"))
    assert holders is not None and holders.chain == (BEN, CHLOE)


def test_the_service_row_wins_over_the_organisation_row_and_is_the_fallback() -> None:
    own = [RosterEntry("checkout", "commander", ANA, (BEN,))]
    shared = [RosterEntry("*", "commander", CHLOE, (DAVE,)), RosterEntry("*", "deputy", DAVE)]
    now = at("2026-11-27T10:00")
    commander = holders_at(own, [], shared, [], "checkout", "commander", now)
    deputy = holders_at(own, [], shared, [], "checkout", "deputy", now)
    assert commander is not None and commander.chain == (ANA, BEN) and commander.service == "checkout"
    assert deputy is not None and deputy.chain == (DAVE,) and deputy.service == "*"
    assert holders_at(own, [], shared, [], "checkout", "scribe", now) is None


def test_overlapping_overrides_of_one_role_are_refused() -> None:
    first = Override("checkout", "commander", CHLOE, at("2026-12-01T00:00"), at("2026-12-05T00:00"))
    overlapping = Override("checkout", "commander", DAVE, at("2026-12-04T00:00"), at("2026-12-08T00:00"))
    with pytest.raises(InvalidValue, match="overlaps the override of Chloe"):
        check_new_override(overlapping, [first])
    check_new_override(Override("checkout", "commander", DAVE, at("2026-12-05T00:00"), at("2026-12-08T00:00")),
                       [first])  # back to back is fine
    check_new_override(Override("checkout", "deputy", DAVE, at("2026-12-04T00:00"), at("2026-12-08T00:00")),
                       [first])  # another role is fine


def test_an_override_must_end_after_it_starts_and_carry_a_time_zone() -> None:
    with pytest.raises(InvalidValue, match="ends"):
        Override("checkout", "commander", ANA, at("2026-12-02T00:00"), at("2026-12-01T00:00"))
    with pytest.raises(InvalidValue, match="time zone"):
        Override("checkout", "commander", ANA, datetime(2026, 12, 1), datetime(2026, 12, 2))


def test_a_rotation_refuses_an_unknown_zone_and_a_bad_hour() -> None:
    with pytest.raises(InvalidValue, match="not an IANA time zone"):
        Rotation((ANA,), 0, 9, "Europe/Atlantis", date(2026, 1, 5))
    with pytest.raises(InvalidValue, match="hour 24"):
        Rotation((ANA,), 0, 24, "UTC", date(2026, 1, 5))
    with pytest.raises(InvalidValue, match="needs a primary or a rotation"):
        RosterEntry("checkout", "commander", None, (ANA,))


def test_hand_offs_are_listed_at_their_local_hour() -> None:
    moments = PARIS_WEEKLY.handoffs(at("2026-10-18T00:00"), at("2026-10-18T00:00") + timedelta(days=16))
    assert moments == [at("2026-10-19T07:00"), at("2026-10-26T08:00"), at("2026-11-02T08:00")]
