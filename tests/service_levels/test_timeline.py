"""A schedule laid out once (`Timeline`) answers as `add_business_time` does, from any start in
any order: the escalation sweep and the recompute rely on it for the same due times."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service_levels.business_time import (
    Schedule,
    ScheduleError,
    Timeline,
    add_business_time,
    always_open,
)

# Zones whose clocks change, some at midnight or by half an hour, and one that never does.
ZONES = ["Africa/Monrovia", "Europe/Paris", "America/New_York", "America/Santiago",
         "Asia/Beirut", "Australia/Lord_Howe", "America/St_Johns"]  # fmt: skip
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def schedules(draw) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    if draw(st.integers(0, 9)) == 0:
        return always_open(zone)
    weekly = {}
    for day in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        intervals = tuple((cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts) - 1, 2))
        if intervals:
            weekly[day] = intervals
    if not weekly:
        weekly = {0: ((8 * 60, 17 * 60),)}
    holidays = draw(st.frozensets(st.integers(0, 800), max_size=20))
    yearly = draw(st.frozensets(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=4))
    return Schedule(
        zone,
        weekly,
        holidays=frozenset(date(2026, 1, 1) + timedelta(days=day) for day in holidays),
        yearly_holidays=yearly,
    )


starts = st.builds(
    lambda seconds, micros, local: (EPOCH + timedelta(seconds=seconds, microseconds=micros), local),
    st.integers(0, 700 * 86400),
    st.integers(0, 999_999),
    st.booleans(),
)
amounts = st.one_of(
    st.sampled_from([0, 1, 60, 3600, 8 * 3600]),
    st.floats(0, 400 * 3600, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), asks=st.lists(st.tuples(starts, amounts), min_size=1, max_size=25))
def test_it_answers_as_the_walk_through_the_calendar_does(schedule, asks):
    timeline = Timeline(schedule)
    for (start, local), seconds in asks:
        if local:
            start = start.astimezone(ZoneInfo(schedule.time_zone))
        amount = timedelta(seconds=seconds)
        expected = add_business_time(start, amount, schedule)
        found = timeline.add(start, amount)
        assert found == expected
        assert found.utcoffset() == expected.utcoffset()


def test_it_answers_from_before_where_it_was_told_to_reach_back():
    schedule = Schedule("Europe/Paris", dict.fromkeys(range(5), ((9 * 60, 17 * 60),)))
    timeline = Timeline(schedule)
    timeline.reach_back(datetime(2026, 3, 1, tzinfo=UTC))
    for start in (datetime(2026, 3, 20, 10, tzinfo=UTC), datetime(2026, 2, 2, 7, tzinfo=UTC)):
        amount = timedelta(hours=30)
        assert timeline.add(start, amount) == add_business_time(start, amount, schedule)


def test_it_leaves_a_calendar_closed_for_years_to_the_walk():
    weekly = {0: ((9 * 60, 17 * 60),)}
    closed = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(1, 200))
    schedule = Schedule("UTC", weekly, holidays=closed)
    timeline = Timeline(schedule)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    # Within the one open day left: answered.
    assert timeline.add(start, timedelta(hours=2)) == datetime(2026, 1, 5, 11, tzinfo=UTC)
    # Beyond it, the calendar has no open time for three years: the walk's error.
    with pytest.raises(ScheduleError):
        timeline.add(start, timedelta(hours=10))
    with pytest.raises(ValueError):
        timeline.add(start, timedelta(seconds=-1))
