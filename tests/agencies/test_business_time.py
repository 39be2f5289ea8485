"""Business-time arithmetic: worked examples and properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service_levels.business_time import (
    Schedule,
    ScheduleError,
    add_business_time,
    always_open,
    business_time_between,
    is_open_at,
    open_intervals,
)

MONROVIA = ZoneInfo("Africa/Monrovia")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = dict.fromkeys(range(5), ((8 * 60, 17 * 60),))  # Monday to Friday, 08:00-17:00
LIBERIA = Schedule(
    "Africa/Monrovia",
    OFFICE,
    yearly_holidays=frozenset(
        {(1, 1), (2, 11), (3, 15), (5, 14), (7, 26), (8, 24), (11, 29), (12, 25)}
    ),
)


def at(zone, *parts):
    return datetime(*parts, tzinfo=zone)


def test_it_carries_friday_afternoon_over_to_monday():
    friday = at(MONROVIA, 2026, 11, 20, 16, 30)
    assert add_business_time(friday, timedelta(hours=1), LIBERIA) == at(
        MONROVIA, 2026, 11, 23, 8, 30
    )


def test_it_skips_a_yearly_holiday():
    # 29 November 2027 is a Monday and a holiday.
    friday = at(MONROVIA, 2027, 11, 26, 16, 0)
    assert add_business_time(friday, timedelta(hours=2), LIBERIA) == at(
        MONROVIA, 2027, 11, 30, 9, 0
    )


def test_it_skips_a_one_off_holiday():
    schedule = Schedule("Africa/Monrovia", OFFICE, holidays=frozenset({date(2026, 11, 24)}))
    monday = at(MONROVIA, 2026, 11, 23, 16, 0)
    assert add_business_time(monday, timedelta(hours=2), schedule) == at(
        MONROVIA, 2026, 11, 25, 9, 0
    )


def test_it_counts_nothing_over_a_weekend():
    friday_evening = at(MONROVIA, 2026, 11, 20, 18, 0)
    monday_morning = at(MONROVIA, 2026, 11, 23, 7, 0)
    assert business_time_between(friday_evening, monday_morning, LIBERIA) == timedelta(0)


def test_it_starts_the_clock_at_opening_time():
    night = at(MONROVIA, 2026, 11, 23, 2, 0)
    assert add_business_time(night, timedelta(minutes=30), LIBERIA) == at(
        MONROVIA, 2026, 11, 23, 8, 30
    )


def test_it_respects_a_lunch_break():
    schedule = Schedule("Africa/Monrovia", {0: ((8 * 60, 12 * 60), (13 * 60, 17 * 60))})
    monday = at(MONROVIA, 2026, 11, 23, 11, 30)
    assert add_business_time(monday, timedelta(hours=1), schedule) == at(
        MONROVIA, 2026, 11, 23, 13, 30
    )


def test_it_handles_an_interval_that_ends_at_midnight():
    schedule = Schedule("Africa/Monrovia", {0: ((20 * 60, 24 * 60),), 1: ((0, 2 * 60),)})
    monday = at(MONROVIA, 2026, 11, 23, 23, 0)
    assert add_business_time(monday, timedelta(hours=2), schedule) == at(
        MONROVIA, 2026, 11, 24, 1, 0
    )


def test_it_counts_the_real_hours_of_a_daylight_saving_night():
    # In New York on 8 March 2026, 02:00 jumps to 03:00: the day has 23 hours.
    schedule = always_open("America/New_York")
    start = at(NEW_YORK, 2026, 3, 8, 0, 0)
    end = at(NEW_YORK, 2026, 3, 9, 0, 0)
    assert business_time_between(start, end, schedule) == timedelta(hours=23)


def test_it_moves_a_boundary_in_the_skipped_hour_to_the_jump():
    schedule = Schedule("America/New_York", {6: ((2 * 60 + 30, 4 * 60),)})
    sunday = at(NEW_YORK, 2026, 3, 8, 0, 0)
    start, end = next(open_intervals(schedule, sunday))
    assert start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, when the clocks jump
    assert end == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 04:00 EDT


def test_it_counts_the_extra_hour_when_clocks_go_back():
    schedule = always_open("America/New_York")
    start = at(NEW_YORK, 2026, 11, 1, 0, 0)
    end = at(NEW_YORK, 2026, 11, 2, 0, 0)
    assert business_time_between(start, end, schedule) == timedelta(hours=25)


def test_it_refuses_a_calendar_with_no_open_hours():
    with pytest.raises(ScheduleError, match="no open hours"):
        Schedule("UTC", {0: ()})


@pytest.mark.parametrize(
    "intervals",
    [((600, 540),), ((0, 1441),), ((480, 720), (700, 900))],
    ids=["reversed", "past-midnight", "overlapping"],
)
def test_it_refuses_bad_intervals(intervals):
    with pytest.raises(ScheduleError):
        Schedule("UTC", {0: intervals})


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 11, 23, 9, 0), timedelta(hours=1), LIBERIA)  # noqa: DTZ001


# -- Properties -------------------------------------------------------------------------------

ZONES = ["Africa/Monrovia", "Africa/Maseru", "Asia/Colombo", "America/New_York", "Europe/Paris"]


@st.composite
def schedules(draw):
    weekly = {}
    for day in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 24 * 4), max_size=4)))
        pairs = [(a * 15, b * 15) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        if pairs:
            weekly[day] = tuple(pairs)
    if not weekly:
        weekly = {draw(st.integers(0, 6)): ((9 * 60, 17 * 60),)}
    holidays = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=10))
    return Schedule(draw(st.sampled_from(ZONES)), weekly, holidays=holidays)


# Hypothesis takes naive bounds and attaches the zone itself.
EARLIEST, LATEST = datetime(2025, 1, 1), datetime(2028, 1, 1)  # noqa: DTZ001
instants = st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC))
amounts = st.integers(0, 60 * 24 * 20).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), start=instants, amount=amounts)
def test_adding_then_measuring_gives_back_the_amount(schedule, start, amount):
    end = add_business_time(start, amount, schedule)
    assert business_time_between(start, end, schedule) == amount


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), start=instants, first=amounts, second=amounts)
def test_adding_is_monotonic(schedule, start, first, second):
    smaller, larger = sorted([first, second])
    assert add_business_time(start, smaller, schedule) <= add_business_time(start, larger, schedule)


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), start=instants, amount=amounts)
def test_a_positive_amount_always_ends_inside_open_hours(schedule, start, amount):
    if amount:
        end = add_business_time(start, amount, schedule)
        # The due instant is the end of an open minute: just before it, the office was open.
        assert is_open_at(end - timedelta(microseconds=1), schedule)


@settings(max_examples=100, deadline=None)
@given(schedule=schedules(), start=instants, middle=amounts, rest=amounts)
def test_measuring_adds_up_across_a_split(schedule, start, middle, rest):
    split = start + middle
    end = split + rest
    assert business_time_between(start, end, schedule) == business_time_between(
        start, split, schedule
    ) + business_time_between(split, end, schedule)
