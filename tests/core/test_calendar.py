"""Working-time calendar: deadlines over real official Chinese holidays.

Dates below were checked against chinesecalendar 1.11.0 before being written down:

- 2025 Spring Festival: off Tue Jan 28 - Tue Feb 4; make-up working days Sun Jan 26, Sat Feb 8.
- 2025 National Day + Mid-Autumn: off Wed Oct 1 - Wed Oct 8; make-up Sun Sep 28, Sat Oct 11.
- 2026 Spring Festival: off Sun Feb 15 - Mon Feb 23; make-up Sat Feb 14, Sat Feb 28.
- 2026 National Day: off Thu Oct 1 - Wed Oct 7; make-up Sun Sep 20, Sat Oct 10
  (Mid-Autumn 2026 is separate: off Fri Sep 25 - Sun Sep 27).
- 2025 has 248 working days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.core import calendar as calendar_module
from zhili.core.calendar import CHINA_TZ, DeadlineRule, WorkCalendar

CAL = WorkCalendar()
H = timedelta(hours=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


# -- the official calendar -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 1, 27), True),
        (date(2025, 1, 28), False),  # Spring Festival starts
        (date(2025, 2, 4), False),  # Spring Festival ends
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        (date(2026, 2, 15), False),
        (date(2026, 2, 23), False),  # Monday, still Spring Festival
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 9, 20), True),  # Sunday, make-up working day
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
    ],
)
def test_workdays_follow_official_holidays_and_make_up_weekends(day: date, working: bool) -> None:
    assert CAL.is_workday(day) is working


def test_is_workday_judges_an_aware_datetime_by_its_china_date() -> None:
    # 17:00 UTC on Jan 27 is already 01:00 on Jan 28 in Beijing: the first holiday.
    assert CAL.is_workday(datetime(2025, 1, 27, 17, 0, tzinfo=UTC)) is False
    assert CAL.is_workday(datetime(2025, 1, 27, 15, 0, tzinfo=UTC)) is True


# -- working days ----------------------------------------------------------------------


def test_one_working_day_from_afternoon_before_spring_festival_is_due_first_day_after() -> None:
    # Registered Mon Jan 27 2025 15:00; Jan 28 - Feb 4 are off.
    assert CAL.add_working_days(sh(2025, 1, 27, 15), 1) == sh(2025, 2, 5, 15)
    rule = DeadlineRule(amount=1, unit="days", working=True)
    assert CAL.deadline(sh(2025, 1, 27, 15), rule) == sh(2025, 2, 5, 15)


def test_next_working_day_before_2026_spring_festival_is_the_make_up_saturday() -> None:
    assert CAL.add_working_days(sh(2026, 2, 13, 10), 1) == sh(2026, 2, 14, 10)
    assert CAL.add_working_days(sh(2026, 2, 14, 10), 1) == sh(2026, 2, 24, 10)


def test_seven_working_days_over_2026_spring_festival_end_on_make_up_saturday() -> None:
    # Thu Feb 12 -> Fri 13 (1), Sat 14 (2), Tue 24 .. Fri 27 (3-6), Sat 28 (7).
    rule = DeadlineRule(amount=7, unit="days", working=True)
    assert CAL.deadline(sh(2026, 2, 12, 10), rule) == sh(2026, 2, 28, 10)


def test_working_days_from_outside_working_time_count_from_next_working_moment() -> None:
    # Fri Mar 7 2025 20:00 -> counted from Mon Mar 10 09:00 -> one day later Tue 09:00.
    assert CAL.add_working_days(sh(2025, 3, 7, 20), 1) == sh(2025, 3, 11, 9)
    assert CAL.add_working_days(sh(2025, 3, 7, 20), 0) == sh(2025, 3, 10, 9)


# -- working hours ---------------------------------------------------------------------


def test_24_working_hours_span_a_weekend() -> None:
    # Fri Mar 7 2025 10:00: Fri 6 h, Mon 7 h, Tue 7 h, Wed 09:00-12:00 3 h + 1 h after lunch.
    rule = DeadlineRule(amount=24, unit="hours", working=True)
    assert CAL.deadline(sh(2025, 3, 7, 10), rule) == sh(2025, 3, 12, 14, 30)


def test_make_up_sunday_counts_as_working_time() -> None:
    # Fri Sep 26 2025 17:00 + 1 h: half an hour on Friday, the rest on make-up Sun Sep 28.
    assert CAL.add_working_time(sh(2025, 9, 26, 17), H) == sh(2025, 9, 28, 9, 30)
    assert CAL.working_time_between(sh(2025, 9, 27), sh(2025, 9, 29)) == 7 * H


def test_24_working_hours_over_2026_national_day_end_at_noon_on_make_up_saturday() -> None:
    # Wed Sep 30 7 h, Thu Oct 8 7 h, Fri Oct 9 7 h, Sat Oct 10 (make-up) 09:00-12:00.
    # Used up exactly at 12:00, so due at 12:00 rather than after lunch.
    assert CAL.add_working_time(sh(2026, 9, 30, 9), 24 * H) == sh(2026, 10, 10, 12)


def test_working_time_over_a_holiday_is_zero() -> None:
    assert CAL.working_time_between(sh(2025, 9, 30, 17, 30), sh(2025, 10, 9, 9)) == timedelta(0)
    assert CAL.working_time_between(sh(2026, 2, 15), sh(2026, 2, 23, 23, 59)) == timedelta(0)


def test_working_time_between_is_zero_when_end_is_not_after_start() -> None:
    assert CAL.working_time_between(sh(2025, 3, 10, 11), sh(2025, 3, 10, 10)) == timedelta(0)
    assert CAL.working_time_between(sh(2025, 3, 10, 11), sh(2025, 3, 10, 11)) == timedelta(0)


def test_lunch_break_is_not_counted() -> None:
    assert CAL.add_working_time(sh(2025, 3, 10, 11), 2 * H) == sh(2025, 3, 10, 14, 30)
    assert CAL.working_time_between(sh(2025, 3, 10, 11), sh(2025, 3, 10, 14, 30)) == 2 * H
    assert CAL.working_time_between(sh(2025, 3, 10, 12), sh(2025, 3, 10, 13, 30)) == timedelta(0)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2025, 3, 10, 10, 15), sh(2025, 3, 10, 10, 15)),  # inside: itself
        (sh(2025, 3, 10, 9), sh(2025, 3, 10, 9)),  # a period includes its start
        (sh(2025, 3, 10, 12), sh(2025, 3, 10, 13, 30)),  # ...but not its end
        (sh(2025, 3, 10, 12, 30), sh(2025, 3, 10, 13, 30)),  # lunch
        (sh(2025, 3, 10, 7), sh(2025, 3, 10, 9)),  # early morning
        (sh(2025, 3, 10, 17, 30), sh(2025, 3, 11, 9)),  # evening
        (sh(2025, 3, 8, 10), sh(2025, 3, 10, 9)),  # ordinary Saturday
        (sh(2025, 1, 27, 18), sh(2025, 2, 5, 9)),  # eve of Spring Festival
    ],
)
def test_next_working_moment(at: datetime, expected: datetime) -> None:
    assert CAL.next_working_moment(at) == expected


def test_adding_no_working_time_returns_the_next_working_moment() -> None:
    # Not 12:00: the same amount of work is done at 12:00 and at 13:30, but time does not run back.
    assert CAL.add_working_time(sh(2025, 3, 10, 13, 30), timedelta(0)) == sh(2025, 3, 10, 13, 30)
    assert CAL.add_working_time(sh(2025, 3, 10, 12, 30), timedelta(0)) == sh(2025, 3, 10, 13, 30)


def test_working_hours_from_outside_working_time_start_at_next_working_moment() -> None:
    # Mon Mar 10 2025 20:00 + 1 h -> Tue 10:00.
    assert CAL.add_working_time(sh(2025, 3, 10, 20), H) == sh(2025, 3, 11, 10)


def test_working_time_over_a_whole_year_counts_every_working_day() -> None:
    # 248 working days of 7 hours each, one step per day.
    assert CAL.working_time_between(sh(2025, 1, 1), sh(2026, 1, 1)) == 248 * 7 * H


def test_custom_working_periods_are_used() -> None:
    cal = WorkCalendar(periods=[(time(8, 0), time(18, 0))])
    assert cal.add_working_time(sh(2025, 3, 10, 17), 2 * H) == sh(2025, 3, 11, 9)
    assert cal.working_time_between(sh(2025, 3, 10), sh(2025, 3, 11)) == 10 * H


# -- natural time ----------------------------------------------------------------------


def test_natural_rules_ignore_holidays() -> None:
    # Emergency: 2 natural hours, even at night on National Day.
    emergency = DeadlineRule(amount=2, unit="hours", working=False)
    assert CAL.deadline(sh(2025, 10, 1, 22), emergency) == sh(2025, 10, 2, 0)
    week = DeadlineRule(amount=7, unit="days", working=False)
    assert CAL.deadline(sh(2025, 10, 1, 22), week) == sh(2025, 10, 8, 22)


def test_elapsed_measures_like_the_deadline() -> None:
    start, now = sh(2025, 9, 30, 16, 30), sh(2025, 10, 9, 10)
    # Working: 1 h on Sep 30 + 1 h on Oct 9; natural: 8 days 17.5 hours.
    assert CAL.elapsed(start, now, working=True) == 2 * H
    assert CAL.elapsed(start, now, working=False) == timedelta(days=8, hours=17, minutes=30)
    assert CAL.elapsed(now, start, working=False) == timedelta(0)
    rule = DeadlineRule(amount=2, unit="days", working=True)
    assert CAL.elapsed(start, CAL.deadline(start, rule), working=True) == 14 * H


# -- time zones ------------------------------------------------------------------------


def test_aware_input_in_other_zones_is_converted_to_china_time() -> None:
    utc_start = datetime(2025, 1, 27, 7, 0, tzinfo=UTC)  # 15:00 in Beijing
    due = CAL.add_working_days(utc_start, 1)
    assert due == sh(2025, 2, 5, 15)
    assert due.tzinfo is CHINA_TZ
    assert due.hour == 15
    new_york = datetime(2025, 3, 9, 22, 0, tzinfo=ZoneInfo("America/New_York"))  # Mon 10:00
    assert CAL.next_working_moment(new_york) == sh(2025, 3, 10, 10)
    assert CAL.next_working_moment(new_york).tzinfo is CHINA_TZ


NAIVE = datetime(2025, 3, 10, 10, 0)
AWARE = sh(2025, 3, 10, 10)
CALLS: list[Callable[[], Any]] = [
    lambda: CAL.next_working_moment(NAIVE),
    lambda: CAL.add_working_time(NAIVE, H),
    lambda: CAL.add_working_days(NAIVE, 1),
    lambda: CAL.working_time_between(NAIVE, AWARE),
    lambda: CAL.working_time_between(AWARE, NAIVE),
    lambda: CAL.deadline(NAIVE, DeadlineRule(amount=2, unit="hours", working=False)),
    lambda: CAL.deadline(NAIVE, DeadlineRule(amount=2, unit="hours", working=True)),
    lambda: CAL.elapsed(NAIVE, AWARE, working=False),
    lambda: CAL.elapsed(AWARE, NAIVE, working=True),
    lambda: CAL.is_workday(NAIVE),
]


@pytest.mark.parametrize("call", CALLS)
def test_naive_datetimes_are_rejected(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


ZONES = st.sampled_from([UTC, CHINA_TZ, ZoneInfo("America/New_York"), ZoneInfo("Europe/London")])


@given(
    start=st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=ZONES),
    delta=st.timedeltas(timedelta(0), timedelta(hours=200)),
)
def test_adding_working_time_round_trips_through_working_time_between(
    start: datetime, delta: timedelta
) -> None:
    begin = CAL.next_working_moment(start)
    end = CAL.add_working_time(begin, delta)
    assert end.tzinfo is CHINA_TZ
    assert begin <= end
    assert CAL.working_time_between(begin, end) == delta


# -- years the library does not know ---------------------------------------------------


@pytest.fixture
def fresh_calendar_state() -> Iterator[None]:
    # The workday cache and the warned-years set are process-wide on purpose.
    calendar_module._official_workday.cache_clear()
    calendar_module._warned_years.clear()
    yield
    calendar_module._official_workday.cache_clear()
    calendar_module._warned_years.clear()


@pytest.mark.usefixtures("fresh_calendar_state")
def test_unknown_year_falls_back_to_weekdays_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="zhili.core.calendar")
    # Thu Jan 1 2099 would be New Year's Day, but without data only weekends are off.
    assert CAL.is_workday(date(2099, 1, 1)) is True
    assert CAL.is_workday(date(2099, 1, 3)) is False  # Saturday
    # Fri 17:00 + 1 h -> Mon Jan 5 09:30: a whole week of arithmetic, one warning.
    assert CAL.add_working_time(sh(2099, 1, 2, 17), H) == sh(2099, 1, 5, 9, 30)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2099" in warnings[0].getMessage()


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [(time(12, 0), time(9, 0))],  # ends before it starts
        [(time(9, 0), time(9, 0))],  # empty
        [(time(13, 30), time(17, 30)), (time(9, 0), time(12, 0))],  # out of order
        [(time(9, 0), time(14, 0)), (time(13, 30), time(17, 30))],  # overlapping
    ],
)
def test_invalid_working_periods_are_rejected(periods: list[tuple[time, time]]) -> None:
    with pytest.raises(ValueError, match="period"):
        WorkCalendar(periods=periods)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": 0, "unit": "hours", "working": True},
        {"amount": -3, "unit": "days", "working": False},
        {"amount": 2, "unit": "weeks", "working": True},
    ],
)
def test_invalid_deadline_rules_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="deadline"):
        DeadlineRule(**kwargs)


def test_negative_amounts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(AWARE, -H)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(AWARE, -1)


def test_a_rule_in_working_minutes_skips_the_lunch_break() -> None:
    cal = WorkCalendar()
    start = datetime(2026, 3, 2, 11, 50, tzinfo=CHINA_TZ)  # a Monday
    due = cal.deadline(start, DeadlineRule(amount=30, unit="minutes", working=True))
    assert due == datetime(2026, 3, 2, 13, 50, tzinfo=CHINA_TZ)
    natural = cal.deadline(start, DeadlineRule(amount=30, unit="minutes", working=False))
    assert natural == datetime(2026, 3, 2, 12, 20, tzinfo=CHINA_TZ)
