"""Parse Azure Functions NCRONTAB timer schedules and find their next firing as the host does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

__all__ = ["Schedule", "ScheduleError", "parse", "resolve_app_setting"]

# (name used in error messages, lowest value, highest value), in expression order.
_FIELDS = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)
_NAMES = {
    "month": ["january", "february", "march", "april", "may", "june",
              "july", "august", "september", "october", "november", "december"],
    "day-of-week": ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
}
# February counts 29 so that a leap-day schedule is possible but 30/31 February is not.
_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NUMBER = re.compile(r"[0-9]+")
_SETTING = re.compile(r"%([^%]+)%")


class ScheduleError(ValueError):
    """An NCRONTAB expression that cannot be parsed or can never fire."""


def _error(expression: str, message: str) -> ScheduleError:
    return ScheduleError(f'"{expression}": {message}')


def _value(token: str, name: str, low: int, high: int, fail: Callable[[str], ScheduleError]) -> int:
    if not token:
        raise fail("a range is missing a value")
    if _NUMBER.fullmatch(token):
        number = int(token)
    else:
        names = _NAMES.get(name, [])
        matches = [i for i, full in enumerate(names) if token.lower() in (full, full[:3])]
        if not matches:
            hint = f"a number {low}-{high}" + (" or a name like 'Jan'/'Mon'" if names else "")
            raise fail(f"{token!r} is not {hint}")
        number = matches[0] + low
    if not low <= number <= high:
        # NCrontab rejects 7 for Sunday, so accepting it here would pass locally and fail on Azure.
        extra = " (Sunday is 0; Azure does not accept 7)" if name == "day-of-week" else ""
        raise fail(f"value {number} is outside {low}-{high}{extra}")
    return number


def _parse_field(text: str, expression: str, name: str, low: int, high: int) -> tuple[int, ...]:
    def fail(why: str) -> ScheduleError:
        return _error(expression, f"field {name!r} ({text!r}): {why}")

    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        if not base:
            raise fail("empty element")
        step = 1
        if slash:
            if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
                raise fail(f"step {step_text!r} must be a whole number of at least 1")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, name, low, high, fail), _value(last, name, low, high, fail)
            if start > end:
                # NCrontab silently swaps a reversed range; a wrap-around "22-2" never means 2-22.
                raise fail(f"range {base!r} runs backwards; list the values instead")
        else:
            start = _value(base, name, low, high, fail)
            end = high if slash else start  # "a/n" means from a to the end of the field.
        values.update(range(start, end + 1, step))
    return tuple(sorted(values))


def parse(expression: str) -> Schedule:
    """Parse ``{second} {minute} {hour} {day} {month} {day-of-week}``.

    A five-field expression (no seconds, accepted by newer Functions hosts) means second 0.
    Day-of-week runs 0-6 with 0 = Sunday; months and weekdays may be names (``Jan``,
    ``January``, ``mon``). As in Azure's NCrontab, day and day-of-week must BOTH match
    (``0 0 8 1-7 * Mon`` is the first Monday of each month), unlike Vixie cron's OR.
    """
    text = expression.strip()
    if "%" in text:
        raise _error(expression, "app setting reference; call resolve_app_setting() first")
    parts = [p for p in text.split(" ") if p]
    if len(parts) == 1 and ":" in text:
        raise _error(
            expression,
            "TimeSpan schedules (hh:mm:ss) only work on App Service plans; "
            "use an NCRONTAB expression such as '0 */5 * * * *'",
        )
    if len(parts) == 5:
        parts.insert(0, "0")
    elif len(parts) != 6:
        raise _error(
            expression,
            "expected 6 fields (second minute hour day month day-of-week) "
            f"or 5 without seconds, got {len(parts)}",
        )
    sets = [_parse_field(p, expression, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
    days, months = sets[3], sets[4]
    if not any(day <= _LONGEST_MONTH[month - 1] for month in months for day in days):
        raise _error(expression, "fields 'day' and 'month' name no real date; it would never fire")
    return Schedule(expression, *sets)


@dataclass(frozen=True)
class Schedule:
    """A parsed NCRONTAB schedule; each field holds its sorted allowed values."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0 = Sunday

    def __str__(self) -> str:
        return self.expression

    @property
    def is_interval(self) -> bool:
        """Azure's test for DST handling: second, minute or hour has a '*' or a run like '9-17'."""
        return any(v + 1 in f for f in (self.seconds, self.minutes, self.hours) for v in f)

    def next_after(self, instant: datetime, tz: tzinfo | None = None) -> datetime:
        """Return the first firing strictly after ``instant``, as an aware UTC datetime.

        Fields are matched against wall-clock time in ``tz`` (UTC by default; pass
        ``ZoneInfo(WEBSITE_TIME_ZONE)`` to mirror that app setting). DST follows the
        Functions host (CronSchedule in azure-webjobs-sdk-extensions):

        * spring forward: the first scheduled local time inside the gap fires shifted by the
          gap (02:30 runs at 03:30 new time); later times in the same gap are skipped;
        * fall back: a schedule whose second, minute and hour are all fixed values (e.g.
          ``0 30 1 * * *``) fires once, on the first pass through the repeated hour; an
          "interval" schedule (``*``, ranges or runs in those fields) fires on both passes,
          so ``0 */5 * * * *`` keeps firing every 5 real minutes.
        """
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"next_after() needs an aware datetime, got naive {instant!r}")
        zone = UTC if tz is None else tz
        now = instant.astimezone(zone)
        wall = self._next_wall(now.replace(tzinfo=None))
        nxt = _standard(wall, zone)
        diff = _offset(nxt.astimezone(zone)) - _offset(now)
        nxt_ambiguous = _is_ambiguous(_wall(nxt, zone), zone)
        if not self.is_interval and nxt_ambiguous and not diff:
            # Already on the second pass: Azure assumes the first pass fired and skips on.
            while _is_ambiguous(wall, zone):
                wall = self._next_wall(wall)
            return _standard(wall, zone)
        crossing = nxt_ambiguous or (self.is_interval and _is_ambiguous(_wall(now, zone), zone))
        # Shifting by the offset change moves a repeated time back onto the first pass.
        return nxt + diff if crossing and diff else nxt

    def _next_wall(self, after: datetime) -> datetime:
        """First naive wall-clock time strictly after ``after`` that matches every field."""
        # Imported here, not at module import: settings validation parses schedules at cold start.
        from croniter import CroniterBadDateError, croniter

        # croniter reads the validated values as plain lists, so its wider grammar (L, ?, H, 7,
        # wrap-around ranges) never applies; day_or=False is NCrontab's day AND day-of-week.
        fields = (self.seconds, self.minutes, self.hours, self.days, self.months, self.weekdays)
        expression = " ".join(",".join(map(str, values)) for values in fields)
        try:
            # Every valid date falls on every weekday within one 400-year Gregorian cycle.
            found = croniter(expression, after.replace(microsecond=0), day_or=False, second_at_beginning=True,
                             max_years_between_matches=400).get_next(datetime)
        except (CroniterBadDateError, OverflowError, ValueError) as error:  # ran past year 9999
            raise _error(self.expression, f"no occurrence after {after.isoformat()}") from error
        return found


def _wall(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _offset(aware: datetime) -> timedelta:
    offset = aware.utcoffset()
    assert offset is not None  # every datetime here carries a tzinfo
    return offset


def _offsets(wall: datetime, zone: tzinfo) -> tuple[timedelta, timedelta]:
    first, second = (_offset(wall.replace(tzinfo=zone, fold=fold)) for fold in (0, 1))
    return first, second


def _is_ambiguous(wall: datetime, zone: tzinfo) -> bool:
    first, second = _offsets(wall, zone)
    return first > second  # in a gap fold=0 has the smaller (pre-transition) offset instead


def _standard(wall: datetime, zone: tzinfo) -> datetime:
    # .NET reads invalid and ambiguous local times as standard time, i.e. the smaller offset.
    return (wall - min(_offsets(wall, zone))).replace(tzinfo=UTC)


def resolve_app_setting(expression: str, settings: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` (as in ``schedule="%ReportSchedule%"``) with the app setting's value."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise _error(expression, f"app setting {name!r} is not defined")
        return settings[name]

    return _SETTING.sub(lookup, expression)
