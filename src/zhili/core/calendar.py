"""Chinese working-time calendar for case deadlines (办理时限).

Deadlines in municipal governance are written as "24 working hours", "7 working days" or
"2 natural hours". Working time follows the official State Council calendar: statutory
holidays are off and the adjusted weekends (调休) are working days. The package
``chinesecalendar`` knows those dates; for a year it has no data for (it is published
each winter for the next year) we fall back to Monday-Friday and log a warning once per
year, because a slightly wrong deadline beats a crashed dispatcher.

Every public method takes timezone-aware datetimes in any zone and returns aware
datetimes in the calendar's zone. Naive datetimes are refused: the database stores UTC,
so a naive value means someone forgot to attach the zone, and guessing would silently
shift deadlines by eight hours.

Internally we compute on *local wall-clock* naive datetimes: office hours are defined by
the clock on the wall, and Asia/Shanghai has no daylight saving time anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = ["CHINA_TZ", "DEFAULT_PERIODS", "DeadlineRule", "WorkCalendar"]

logger = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")

# Government offices work mornings and afternoons with a lunch break (7 hours a day).
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

# Years we already warned about, so a year-long computation logs once, not 365 times.
_warned_years: set[int] = set()


@lru_cache(maxsize=65536)
def _official_workday(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China (cached: spans walk day by day)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinesecalendar has no official holiday data for %d; treating Monday-Friday "
                "as working days for that year (upgrade chinesecalendar to fix deadlines)",
                day.year,
            )
        return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A time limit such as "24 working hours", "7 working days" or "2 natural hours"."""

    amount: int
    unit: Literal["minutes", "hours", "days"]
    working: bool  # True: official working time; False: natural (wall-clock) time

    def __post_init__(self) -> None:
        # bool is an int subclass; "True hours" is a bug, not a deadline.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"deadline amount must be a positive integer, got {self.amount!r}")
        if self.unit not in ("minutes", "hours", "days"):
            raise ValueError(
                f"deadline unit must be 'minutes', 'hours' or 'days', got {self.unit!r}"
            )

    @property
    def duration(self) -> timedelta:
        """The amount as a span (for days: calendar days of 24 hours)."""
        if self.unit == "minutes":
            return timedelta(minutes=self.amount)
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        return self.amount * _ONE_DAY


class WorkCalendar:
    """Working days from the official calendar, working hours from ``periods``."""

    def __init__(
        self,
        *,
        periods: Sequence[tuple[time, time]] = DEFAULT_PERIODS,
        tz: ZoneInfo = CHINA_TZ,
    ) -> None:
        periods = tuple((start, end) for start, end in periods)
        if not periods:
            # With no working period no deadline could ever be reached.
            raise ValueError("a working day needs at least one working period")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working periods are local wall-clock times without tzinfo")
            if start >= end:
                raise ValueError(f"working period must start before it ends: {start}-{end}")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"working periods must be ordered and not overlap: {start} < {previous_end}"
                )
            previous_end = end
        self.periods: tuple[tuple[time, time], ...] = periods
        self.tz = tz
        # Offsets from midnight; periods never cross midnight, so these are plain durations.
        self._spans = tuple((_offset(start), _offset(end)) for start, end in periods)
        self._daily = sum((end - start for start, end in self._spans), _ZERO)

    def __repr__(self) -> str:
        return f"WorkCalendar(periods={self.periods!r}, tz={self.tz.key!r})"

    # -- conversions -------------------------------------------------------------------

    def _local(self, value: datetime, name: str) -> datetime:
        """``value`` as a naive wall-clock datetime in ``self.tz``; refuses naive input."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}; "
                "attach tzinfo (the database stores UTC)"
            )
        return value.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz)

    # -- days --------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; an aware datetime is judged by its local date."""
        if isinstance(day, datetime):
            day = self._local(day, "day").date()
        return _official_workday(day)

    def _worked_by(self, local: datetime) -> timedelta:
        """Working time on ``local``'s day from midnight up to ``local``."""
        if not _official_workday(local.date()):
            return _ZERO
        now = local - datetime.combine(local.date(), time())
        return sum((max(_ZERO, min(now, end) - start) for start, end in self._spans), _ZERO)

    def _moment_after(self, day: date, worked: timedelta) -> datetime:
        """Earliest local moment on working day ``day`` by which ``worked`` (> 0) is done.

        "Earliest" makes a deadline that is used up exactly at 12:00 fall at 12:00, not at
        13:30 after the lunch break.
        """
        midnight = datetime.combine(day, time())
        for start, end in self._spans:
            if worked <= end - start:
                return midnight + start + worked
            worked -= end - start
        raise AssertionError("worked exceeds a working day")  # pragma: no cover - caller bug

    def _next_working_local(self, local: datetime) -> datetime:
        day = local.date()
        while True:  # terminates: the weekday fallback guarantees a working day each week
            if _official_workday(day):
                midnight = datetime.combine(day, time())
                for start, end in self._spans:
                    if local < midnight + end:
                        return max(local, midnight + start)
            day += _ONE_DAY
            local = datetime.combine(day, time())

    # -- public arithmetic -------------------------------------------------------------

    def next_working_moment(self, at: datetime) -> datetime:
        """``at`` itself if inside a working period, else the start of the next period.

        Periods are half-open: at 12:00 the morning is over and the answer is 13:30.
        """
        return self._aware(self._next_working_local(self._local(at, "at")))

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The moment when ``delta`` of working time has passed after ``start``.

        Walks day by day (not minute by minute), so long spans stay cheap.
        """
        if delta < _ZERO:
            raise ValueError(f"working time to add must not be negative, got {delta}")
        cursor = self._next_working_local(self._local(start, "start"))
        if delta == _ZERO:
            return self._aware(cursor)
        day = cursor.date()
        done_today = self._worked_by(cursor)
        if delta <= self._daily - done_today:
            return self._aware(self._moment_after(day, done_today + delta))
        remaining = delta - (self._daily - done_today)
        while True:
            day += _ONE_DAY
            if not _official_workday(day):
                continue
            if remaining <= self._daily:
                return self._aware(self._moment_after(day, remaining))
            remaining -= self._daily

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days later at the same working moment.

        A case registered Friday 10:00 before a holiday with one working day is due at
        10:00 on the next working day. A start outside working time counts from
        ``next_working_moment(start)``.
        """
        if days < 0:
            raise ValueError(f"working days to add must not be negative, got {days}")
        cursor = self._next_working_local(self._local(start, "start"))
        day = cursor.date()
        while days:
            day += _ONE_DAY
            if _official_workday(day):
                days -= 1
        return self._aware(datetime.combine(day, cursor.time()))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero if ``end <= start``. One step per day."""
        first, last = self._local(start, "start"), self._local(end, "end")
        if last <= first:
            return _ZERO
        if first.date() == last.date():
            return self._worked_by(last) - self._worked_by(first)
        total = self._daily_of(first.date()) - self._worked_by(first) + self._worked_by(last)
        day = first.date() + _ONE_DAY
        while day < last.date():
            total += self._daily_of(day)
            day += _ONE_DAY
        return total

    def _daily_of(self, day: date) -> timedelta:
        return self._daily if _official_workday(day) else _ZERO

    def deadline(self, start: datetime, rule: DeadlineRule) -> datetime:
        """When a case started at ``start`` must be finished under ``rule``.

        Natural time is absolute elapsed time (computed in UTC), so it agrees with
        ``elapsed(..., working=False)`` even in zones with daylight saving time.
        """
        if not rule.working:
            self._local(start, "start")  # same naive-input check as everywhere else
            return (start.astimezone(UTC) + rule.duration).astimezone(self.tz)
        if rule.unit != "days":
            return self.add_working_time(start, rule.duration)
        return self.add_working_days(start, rule.amount)

    def elapsed(self, start: datetime, end: datetime, *, working: bool) -> timedelta:
        """Time used between ``start`` and ``end``, measured like the deadline was.

        The yellow warning compares ``elapsed(start, now)`` with ``elapsed(start,
        deadline)``; both must use the same clock or the share is meaningless. Never
        negative.
        """
        if working:
            return self.working_time_between(start, end)
        self._local(start, "start")
        self._local(end, "end")
        return max(_ZERO, end.astimezone(UTC) - start.astimezone(UTC))


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )
