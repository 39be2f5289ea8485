"""Business-time arithmetic: pure functions, no database, no settings.

A `Schedule` is a time zone, open intervals for each weekday, and holidays. Two operations
serve everything else (the SLA clock, reports):

- `add_business_time(start, amount, schedule)`: the instant when `amount` of open time has
  passed after `start`;
- `business_time_between(start, end, schedule)`: how much open time lies between two instants.

A `Timeline` answers the first for many starts in one schedule: it lays out the schedule's open
periods once, with the open time before each, and finds any answer by bisection, where
`add_business_time` walks the calendar day by day for every call. The escalation sweep asks it
for every level of a thousand tickets in a handful of agencies' calendars.

Intervals are in minutes of the local day, 0 <= start < end <= 1440, so an interval may end at
midnight. Wall-clock boundaries become instants with the zone's rules; on the day clocks change,
an interval spans the real time that passes (an hour more or less), and a boundary that falls in
the skipped hour is moved to when the clocks jump, so intervals never overlap or run backwards.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A schedule whose holidays close every open day for this long has no open time at all.
SEARCH_LIMIT_DAYS = 3 * 366


class ScheduleError(ValueError):
    """The schedule cannot be used: no open hours, or intervals out of order."""


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    # weekday (Monday 0 .. Sunday 6) -> ((start minute, end minute), ...), sorted, disjoint
    weekly: dict[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date] = frozenset()
    # (month, day) pairs closed every year
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))
        validate_weekly(self.weekly)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays


def validate_weekly(weekly: dict[int, tuple[tuple[int, int], ...]]) -> None:
    if not any(weekly.get(day) for day in range(7)):
        raise ScheduleError("The calendar has no open hours in the week.")
    for day, intervals in weekly.items():
        if day not in range(7):
            raise ScheduleError(f"Weekday {day} does not exist.")
        previous_end = -1
        for start, end in intervals:
            if not 0 <= start < end <= MINUTES_PER_DAY:
                raise ScheduleError("Each interval must start before it ends, within the day.")
            if start < previous_end:
                raise ScheduleError("Intervals of one day must not overlap.")
            previous_end = end


def always_open(time_zone: str = "UTC") -> Schedule:
    return Schedule(time_zone, dict.fromkeys(range(7), ((0, MINUTES_PER_DAY),)))


# Pure, and its arguments repeat across every ticket of a zone: the sweep, the facts' refresh
# and the benchmark's seeding ask for the same day boundaries again and again.
@functools.lru_cache(maxsize=16384)
def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    instant = local.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        # A wall time the clocks skip: the boundary is the moment they jump.
        before = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
        instant = min(instant, max(before, _transition_after(before, zone)))
    return instant


def _transition_after(instant: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after `instant`, to the minute, whose UTC offset differs."""
    offset = instant.astimezone(zone).utcoffset()
    low, high = instant, instant + timedelta(hours=3)
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high.replace(second=0, microsecond=0)


def open_intervals(schedule: Schedule, after: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open periods as (start, end) UTC instants, in order, from the local day of `after`.

    Periods ending at or before `after` are skipped; a period containing `after` is cut to
    start there.
    """
    if after.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    day = after.astimezone(schedule.zone).date() - timedelta(days=1)
    cursor = after.astimezone(UTC)
    closed_days = 0
    while True:
        intervals = () if schedule.is_holiday(day) else schedule.weekly.get(day.weekday(), ())
        found = False
        for start_minute, end_minute in intervals:
            start = max(_local_to_utc(day, start_minute, schedule.zone), cursor)
            end = _local_to_utc(day, end_minute, schedule.zone)
            if end > start:
                found = True
                yield start, end
                cursor = end
        closed_days = 0 if found else closed_days + 1
        if closed_days > SEARCH_LIMIT_DAYS:
            raise ScheduleError("The calendar has no open time in the next three years.")
        day += timedelta(days=1)


def add_business_time(start: datetime, amount: timedelta, schedule: Schedule) -> datetime:
    """The instant at which `amount` of open time has passed since `start`."""
    if amount < timedelta(0):
        raise ValueError("cannot add a negative amount of business time")
    if amount == timedelta(0):
        return start
    remaining = amount
    for open_start, open_end in open_intervals(schedule, start):
        available = open_end - open_start
        if remaining <= available:
            return (open_start + remaining).astimezone(start.tzinfo)
        remaining -= available
    raise AssertionError("open_intervals never ends")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """The open time between two instants; zero when `end` is not after `start`."""
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    end_utc = end.astimezone(UTC)
    for open_start, open_end in open_intervals(schedule, start):
        if open_start >= end_utc:
            break
        total += min(open_end, end_utc) - open_start
    return total


def is_open_at(instant: datetime, schedule: Schedule) -> bool:
    for open_start, open_end in open_intervals(schedule, instant):
        return open_start <= instant.astimezone(UTC) < open_end
    return False  # pragma: no cover


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# How far before a start earlier than any so far a timeline is laid out again, when its owner
# did not say how far back its starts go (`reach_back`): each re-layout costs the days it covers.
_LAYOUT_MARGIN = timedelta(days=31)
# Periods laid out at a time: few at first, then twice as many each time up to the largest, so
# that a timeline of a few tickets lays out little more than their walks would, one of many
# does it in few steps, and none lays out more than the largest beyond its furthest answer.
_FIRST_CHUNK, _LARGEST_CHUNK = 8, 128


def _micros(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


class Timeline:
    """One schedule's open periods laid out once, for `add_business_time` from many starts.

    The periods are those `open_intervals` yields from the earliest start asked for; the
    periods it would yield from any later start are the same from the first one ending after
    that start, cut to begin there, so one layout serves every later start and each answer is
    the same instant `add_business_time` gives. Periods are kept as integer microseconds with
    the open time before each; the layout grows forward as later answers need it, and is laid
    out again from further back when a start comes before it.

    Not shared between threads: its owner (a sweep, a batch) keeps it for its own work, and
    says with `reach_back` how early the starts it will ask about are.
    """

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self._origin: datetime | None = None
        self._source: Iterator[tuple[datetime, datetime]] | None = None
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._open_before: list[int] = []  # open time before each period
        self._open_through: list[int] = []  # open time to the end of each period
        self._chunk = _FIRST_CHUNK

    def reach_back(self, earliest: datetime) -> None:
        """Lays out from `earliest` on, unless the layout already begins there or before."""
        if self._origin is None or earliest < self._origin:
            self._lay_out(earliest)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """What `add_business_time(start, amount, self.schedule)` returns."""
        if amount < timedelta(0):
            raise ValueError("cannot add a negative amount of business time")
        if amount == timedelta(0):
            return start
        if start.tzinfo is None:
            raise ValueError("business time needs aware datetimes")
        if self._origin is None or start < self._origin:
            self._lay_out(start - _LAYOUT_MARGIN if self._origin is not None else start)
        at = _micros(start)
        while not self._ends or self._ends[-1] <= at:
            if not self._extend():
                return add_business_time(start, amount, self.schedule)
        # The first period ending after the start, as open_intervals(start) would begin.
        first = bisect_right(self._ends, at)
        before = self._open_before[first] + max(0, at - self._starts[first])
        target = before + amount // _MICROSECOND
        while self._open_through[-1] < target:
            if not self._extend():
                return add_business_time(start, amount, self.schedule)
        # The first period by whose end the target is reached: `remaining <= available`.
        last = bisect_left(self._open_through, target, lo=first)
        instant = self._starts[last] + target - self._open_before[last]
        return (_EPOCH + timedelta(microseconds=instant)).astimezone(start.tzinfo)

    def _lay_out(self, origin: datetime) -> None:
        self._origin = origin
        self._source = open_intervals(self.schedule, origin)
        self._starts, self._ends, self._open_before, self._open_through = [], [], [], []
        self._chunk = _FIRST_CHUNK

    def _extend(self) -> bool:
        """Lays out the next periods; False when none is left to lay out (a schedule whose
        holidays close it for years), where `add_business_time` answers, or raises, itself."""
        total = self._open_through[-1] if self._open_through else 0
        added = 0
        periods, self._chunk = self._chunk, min(self._chunk * 2, _LARGEST_CHUNK)
        try:
            for _ in range(periods):
                open_start, open_end = next(self._source)
                start, end = _micros(open_start), _micros(open_end)
                self._starts.append(start)
                self._ends.append(end)
                self._open_before.append(total)
                total += end - start
                self._open_through.append(total)
                added += 1
        except (ScheduleError, StopIteration):
            self._source = iter(())
        return added > 0
