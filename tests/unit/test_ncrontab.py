"""Tests for devopsbot.ncrontab: parsing, next-occurrence search, DST handling and helpers."""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from devopsbot.ncrontab import Schedule, ScheduleError, parse, resolve_app_setting
from devopsbot.settings import ROOT

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def chain(expression: str, start: datetime, count: int, tz=None) -> list[datetime]:
    schedule, out, t = parse(expression), [], start
    for _ in range(count):
        t = schedule.next_after(t, tz)
        out.append(t)
    return out


def matches(schedule: Schedule, wall: datetime) -> bool:
    """Independent oracle: every field matches, day AND day-of-week (as NCrontab does)."""
    return (
        wall.second in schedule.seconds
        and wall.minute in schedule.minutes
        and wall.hour in schedule.hours
        and wall.day in schedule.days
        and wall.month in schedule.months
        and wall.isoweekday() % 7 in schedule.weekdays
    )


# --- basic schedules -------------------------------------------------------------------


def test_every_minute_fires_at_second_zero_of_each_minute():
    assert chain("0 * * * * *", utc(2024, 5, 1, 10, 0, 30), 3) == [
        utc(2024, 5, 1, 10, 1),
        utc(2024, 5, 1, 10, 2),
        utc(2024, 5, 1, 10, 3),
    ]


def test_every_five_minutes_aligns_to_multiples_of_five():
    assert chain("0 */5 * * * *", utc(2024, 5, 1, 18, 55, 0), 3) == [
        utc(2024, 5, 1, 19, 0),
        utc(2024, 5, 1, 19, 5),
        utc(2024, 5, 1, 19, 10),
    ]


def test_next_after_is_strictly_after_an_instant_on_the_schedule():
    assert parse("0 */5 * * * *").next_after(utc(2024, 5, 1, 19, 5)) == utc(2024, 5, 1, 19, 10)


def test_sub_second_instant_rounds_to_next_whole_second():
    start = utc(2024, 5, 1, 10, 0, 0) + timedelta(microseconds=500_000)
    assert parse("* * * * * *").next_after(start) == utc(2024, 5, 1, 10, 0, 1)


def test_every_second_expression():
    assert chain("* * * * * *", utc(2024, 5, 1, 10, 0, 59), 2) == [
        utc(2024, 5, 1, 10, 1, 0),
        utc(2024, 5, 1, 10, 1, 1),
    ]


def test_five_field_expression_means_second_zero():
    schedule = parse("*/15 9 * * *")
    assert schedule.seconds == (0,)
    assert schedule.minutes == (0, 15, 30, 45)
    assert schedule.next_after(utc(2024, 5, 1, 9, 14, 59)) == utc(2024, 5, 1, 9, 15)


def test_range_of_hours_fires_hourly_inside_range_only():
    assert chain("0 0 9-17 * * *", utc(2024, 5, 1, 16, 30), 3) == [
        utc(2024, 5, 1, 17),
        utc(2024, 5, 2, 9),
        utc(2024, 5, 2, 10),
    ]


def test_list_of_values_with_ranges():
    schedule = parse("0 0 7,12-13,18 * * *")
    assert schedule.hours == (7, 12, 13, 18)
    assert chain("0 0 7,12-13,18 * * *", utc(2024, 5, 1, 8), 4) == [
        utc(2024, 5, 1, 12),
        utc(2024, 5, 1, 13),
        utc(2024, 5, 1, 18),
        utc(2024, 5, 2, 7),
    ]


def test_step_over_wildcard_and_range():
    assert parse("0 0 */6 * * *").hours == (0, 6, 12, 18)
    assert parse("0 10-30/10 * * * *").minutes == (10, 20, 30)


def test_step_from_a_single_value_runs_to_field_maximum():
    assert parse("0 45/5 * * * *").minutes == (45, 50, 55)
    assert parse("0 0 0 20/5 * *").days == (20, 25, 30)


def test_month_and_weekday_names_are_case_insensitive():
    schedule = parse("0 30 9 * jan,MAR-may Mon-fri")
    assert schedule.months == (1, 3, 4, 5)
    assert schedule.weekdays == (1, 2, 3, 4, 5)
    assert parse("0 0 0 * January Sunday").weekdays == (0,)


def test_microsoft_documented_example_monday_in_january():
    # "0 30 9 * Jan Mon": at 9:30 AM every Monday in January.
    assert chain("0 30 9 * Jan Mon", utc(2024, 1, 30), 2) == [
        utc(2025, 1, 6, 9, 30),
        utc(2025, 1, 13, 9, 30),
    ]


def test_sunday_is_zero_or_sun():
    assert parse("0 0 0 * * 0").weekdays == parse("0 0 0 * * Sun").weekdays == (0,)
    assert parse("0 0 12 * * 0").next_after(utc(2024, 5, 1)) == utc(2024, 5, 5, 12)  # a Sunday


def test_day_of_week_seven_is_rejected_like_azure():
    with pytest.raises(ScheduleError, match=r"field 'day-of-week'.*Sunday is 0"):
        parse("0 0 0 * * 7")


def test_day_of_month_and_day_of_week_both_must_match():
    # NCrontab ANDs the two fields: the first Monday of each month, not "days 1-7 or any Monday".
    assert chain("0 0 8 1-7 * Mon", utc(2024, 1, 1, 9), 3) == [
        utc(2024, 2, 5, 8),
        utc(2024, 3, 4, 8),
        utc(2024, 4, 1, 8),
    ]


def test_friday_the_thirteenth():
    assert chain("0 0 0 13 * Fri", utc(2024, 1, 1), 2) == [utc(2024, 9, 13), utc(2024, 12, 13)]


def test_day_of_week_alone_restricts_days():
    assert chain("0 0 6 * * Sat,Sun", utc(2024, 5, 1), 3) == [
        utc(2024, 5, 4, 6),
        utc(2024, 5, 5, 6),
        utc(2024, 5, 11, 6),
    ]


def test_rollover_to_next_year():
    assert parse("0 0 0 1 1 *").next_after(utc(2024, 12, 31, 23, 59, 59)) == utc(2025, 1, 1)
    assert parse("0 * * * * *").next_after(utc(2024, 12, 31, 23, 59, 30)) == utc(2025, 1, 1)


def test_day_31_skips_months_without_it():
    assert chain("0 0 0 31 * *", utc(2024, 1, 31), 3) == [
        utc(2024, 3, 31),
        utc(2024, 5, 31),
        utc(2024, 7, 31),
    ]


def test_leap_day_fires_only_in_leap_years_and_skips_2100():
    assert parse("0 0 0 29 2 *").next_after(utc(2024, 3, 1)) == utc(2028, 2, 29)
    assert parse("0 0 0 29 2 *").next_after(utc(2096, 3, 1)) == utc(2104, 2, 29)


def test_sparse_schedule_is_found_quickly():
    # Feb 29 on a Monday; searching must jump over months and days, not seconds.
    assert parse("59 59 23 29 2 Mon").next_after(utc(2024, 3, 1)) == utc(2044, 2, 29, 23, 59, 59)


def test_a_schedule_with_no_firing_before_year_10000_is_a_schedule_error():
    with pytest.raises(ScheduleError, match=r"no occurrence after 9999-12-31"):
        parse("0 0 0 29 2 Mon").next_after(utc(9999, 12, 31))


def test_checking_schedules_at_start_up_leaves_croniter_unloaded_until_one_is_evaluated():
    # Cold start is import time: function_app checks its timer schedules, croniter waits for a tick.
    script = ("import json, sys, function_app; from devopsbot import ncrontab; "
              "schedule = ncrontab.parse('0 */5 * * * *'); before = 'croniter' in sys.modules; "
              "schedule.next_after(ncrontab.datetime(2024, 5, 1, tzinfo=ncrontab.UTC)); "
              "print(json.dumps([before, 'croniter' in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) == [False, True]


def test_str_returns_the_expression():
    assert str(parse("0 */5 * * * *")) == "0 */5 * * * *"
    assert str(parse("*/15 9 * * *")) == "*/15 9 * * *"


def test_schedule_is_frozen():
    schedule = parse("0 * * * * *")
    with pytest.raises(AttributeError):
        schedule.minutes = (1,)


# --- rejected expressions -----------------------------------------------------------------


@pytest.mark.parametrize(
    "expression", ["0 0 0 31 2 *", "0 0 0 30 2 *", "0 0 0 31 4,6,9,11 *", "0 0 0 30-31 Feb Mon"]
)
def test_impossible_date_is_rejected_at_parse_time(expression):
    with pytest.raises(ScheduleError, match=r"never fire"):
        parse(expression)


@pytest.mark.parametrize("expression", ["* * * *", "0 0 * * * * *", "", "   "])
def test_wrong_field_count_is_rejected(expression):
    with pytest.raises(ScheduleError, match=r"expected 6 fields"):
        parse(expression)


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("60 * * * * *", "second"),
        ("0 60 * * * *", "minute"),
        ("0 0 24 * * *", "hour"),
        ("0 0 0 0 * *", "day"),
        ("0 0 0 32 * *", "day"),
        ("0 0 0 * 13 *", "month"),
        ("0 0 0 * 0 *", "month"),
        ("0 0 0 * * 8", "day-of-week"),
        ("0 0 20-25 * * *", "hour"),
    ],
)
def test_out_of_range_value_names_the_field(expression, field):
    quoted = re.escape(f'"{expression}"')
    with pytest.raises(ScheduleError, match=rf"^{quoted}: field '{field}'.*outside"):
        parse(expression)


@pytest.mark.parametrize(
    "expression", ["0 */0 * * * *", "0 5/0 * * * *", "0 */x * * * *", "0 */ * * * *"]
)
def test_bad_step_names_the_field(expression):
    with pytest.raises(ScheduleError, match=r"field 'minute'.*step"):
        parse(expression)


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("0 */5 * * *x *", "month"),
        ("0 0 0 * * Funday", "day-of-week"),
        ("0 0 Mon * * *", "hour"),
        ("0 1,,2 * * * *", "minute"),
        ("0 0 -1 * * *", "hour"),
        ("0 0 1- * * *", "hour"),
        ("0 0 ? * * *", "hour"),
        ("0 0 0 L * *", "day"),
        ("abc * * * * *", "second"),
    ],
)
def test_garbage_names_the_field(expression, field):
    quoted = re.escape(f'"{expression}"')
    with pytest.raises(ScheduleError, match=rf"^{quoted}: field '{field}'"):
        parse(expression)


def test_backwards_range_is_rejected():
    with pytest.raises(ScheduleError, match=r"field 'hour'.*backwards"):
        parse("0 0 22-2 * * *")


def test_schedule_error_is_a_value_error():
    with pytest.raises(ValueError, match="nonsense"):
        parse("nonsense")


@pytest.mark.parametrize("expression", ["00:05:00", "01:00:00", "1.00:00:00"])
def test_timespan_schedule_is_rejected_with_advice(expression):
    with pytest.raises(ScheduleError, match=r"TimeSpan.*App Service.*NCRONTAB"):
        parse(expression)


def test_unresolved_app_setting_reference_is_rejected():
    with pytest.raises(ScheduleError, match=r"resolve_app_setting"):
        parse("%ReportSchedule%")


# --- app settings -----------------------------------------------------------------------


def test_app_setting_reference_is_resolved():
    settings = {"ReportSchedule": "0 30 9 * * 1-5"}
    assert resolve_app_setting("%ReportSchedule%", settings) == "0 30 9 * * 1-5"


def test_plain_expression_passes_through_resolution():
    assert resolve_app_setting("0 */5 * * * *", {}) == "0 */5 * * * *"


def test_missing_app_setting_is_named_in_error():
    with pytest.raises(ScheduleError, match=r"'ReportSchedule' is not defined"):
        resolve_app_setting("%ReportSchedule%", {"Other": "0 * * * * *"})


# --- time zones and DST ---------------------------------------------------------------------


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match=r"aware"):
        parse("0 * * * * *").next_after(datetime(2024, 5, 1, 10, 0))


def test_result_is_utc_even_for_other_offsets():
    result = parse("0 0 12 * * *").next_after(
        datetime(2024, 5, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    )
    assert result.tzinfo is UTC
    assert result == utc(2024, 5, 1, 12)


def test_time_zone_selects_local_wall_clock():
    # 09:30 in Paris summer time is 07:30 UTC.
    assert parse("0 30 9 * * *").next_after(utc(2024, 6, 1), PARIS) == utc(2024, 6, 1, 7, 30)


def test_spring_forward_paris_missing_time_fires_shifted_by_the_gap():
    # 2024-03-31 02:00 CET jumps to 03:00 CEST; like the Functions host, 02:30 runs at 03:30 CEST.
    fired = chain("0 30 2 * * *", utc(2024, 3, 30, 12), 2, PARIS)
    assert fired == [utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30)]
    assert fired[0].astimezone(PARIS).hour == 3


def test_spring_forward_new_york_later_times_in_the_gap_are_skipped():
    # 2024-03-10 02:00 EST jumps to 03:00 EDT: 02:00 runs at 03:00 EDT, 02:30 does not run.
    assert chain("0 0,30 2 * * *", utc(2024, 3, 10, 6, 59), 2, NEW_YORK) == [
        utc(2024, 3, 10, 7, 0),
        utc(2024, 3, 11, 6, 0),
    ]


def test_spring_forward_interval_schedule_has_no_extra_firings():
    fired = chain("0 */30 * * * *", utc(2024, 3, 10, 6, 0), 4, NEW_YORK)
    assert fired == [
        utc(2024, 3, 10, 6, 30),
        utc(2024, 3, 10, 7, 0),
        utc(2024, 3, 10, 7, 30),
        utc(2024, 3, 10, 8, 0),
    ]


def test_fall_back_new_york_fixed_time_fires_once_on_first_pass():
    # 2024-11-03 02:00 EDT falls back to 01:00 EST; 01:30 exists twice and runs at 01:30 EDT only.
    assert chain("0 30 1 * * *", utc(2024, 11, 2, 12), 2, NEW_YORK) == [
        utc(2024, 11, 3, 5, 30),
        utc(2024, 11, 4, 6, 30),
    ]


def test_fall_back_fixed_time_from_second_pass_skips_to_next_day():
    # Starting at 01:10 EST (second pass) the host assumes 01:30 already ran at 01:30 EDT.
    assert parse("0 30 1 * * *").next_after(utc(2024, 11, 3, 6, 10), NEW_YORK) == utc(
        2024, 11, 4, 6, 30
    )


def test_fall_back_paris_fixed_time_fires_once_on_first_pass():
    # 2023-10-29 03:00 CEST falls back to 02:00 CET; 02:30 runs at 02:30 CEST (00:30 UTC) only.
    assert chain("0 30 2 * * *", utc(2023, 10, 28, 12), 2, PARIS) == [
        utc(2023, 10, 29, 0, 30),
        utc(2023, 10, 30, 1, 30),
    ]


def test_fall_back_paris_interval_schedule_keeps_its_real_interval():
    fired = chain("0 */30 * * * *", utc(2023, 10, 28, 23, 15), 6, PARIS)
    assert [b - a for a, b in pairwise(fired)] == [timedelta(minutes=30)] * 5
    assert fired[0] == utc(2023, 10, 28, 23, 30)


def test_fall_back_new_york_hourly_fires_on_both_passes():
    assert chain("0 0 * * * *", utc(2024, 11, 3, 4, 30), 3, NEW_YORK) == [
        utc(2024, 11, 3, 5),
        utc(2024, 11, 3, 6),
        utc(2024, 11, 3, 7),
    ]


def test_interval_detection_follows_azure():
    assert parse("0 */5 * * * *").is_interval
    assert parse("0 0 9-17 * * *").is_interval
    assert not parse("0 30 1 * * *").is_interval
    assert not parse("0 0 */2 * * *").is_interval  # even hours only: Azure treats it as fixed times


# --- properties ------------------------------------------------------------------------------

PROPERTY_EXPRESSIONS = [
    "0 * * * * *",
    "*/20 */7 * * * *",
    "0 */5 9-17 * * Mon-Fri",
    "30 15 3,15 * * *",
    "0 0 0 1,15 * *",
    "0 0 12 1-7 * Tue",
    "0 0 0 29 2 *",
    "5 4 3 * 1/3 0,6",
]


@pytest.mark.parametrize("expression", PROPERTY_EXPRESSIONS)
@pytest.mark.parametrize("tz", [None, ZoneInfo("Asia/Kolkata")])
def test_successive_results_increase_and_match_every_field(expression, tz):
    schedule, t = parse(expression), utc(2023, 12, 30, 22, 17, 41)
    for _ in range(60):
        nxt = schedule.next_after(t, tz)
        assert nxt > t
        assert schedule.next_after(nxt, tz) > nxt
        assert matches(schedule, nxt.astimezone(tz or UTC).replace(tzinfo=None))
        t = nxt


@pytest.mark.parametrize("expression", PROPERTY_EXPRESSIONS[:4])
def test_no_matching_second_is_skipped_in_a_window(expression):
    # Brute-force every second of a 2-hour window and compare with chained next_after().
    schedule, start = parse(expression), utc(2024, 2, 28, 23, 0)
    expected = [
        s
        for s in (start + timedelta(seconds=i) for i in range(1, 7200))
        if matches(schedule, s.replace(tzinfo=None))
    ]
    found, t = [], start
    while (t := schedule.next_after(t)) < start + timedelta(seconds=7200):
        found.append(t)
    assert found == expected


@pytest.mark.parametrize("expression", PROPERTY_EXPRESSIONS)
@pytest.mark.parametrize("tz", [PARIS, NEW_YORK])
def test_results_strictly_increase_across_dst_transitions(expression, tz):
    schedule, t = parse(expression), utc(2024, 3, 9)
    for _ in range(80):
        nxt = schedule.next_after(t, tz)
        assert nxt > t and nxt.tzinfo is UTC
        t = nxt
