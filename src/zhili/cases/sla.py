"""Deadlines of case steps and their yellow/red warnings, in working or natural time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from zhili.cases.categories.models import Category
from zhili.cases.models import Urgency
from zhili.core.calendar import DeadlineRule, WorkCalendar

# Beijing's 接诉即办 defaults, used when a case has no category yet or is an emergency.
EMERGENCY_DEADLINE = DeadlineRule(amount=2, unit="hours", working=False)
EMERGENCY_RESPONSE = DeadlineRule(amount=30, unit="minutes", working=False)
GENERAL_DEADLINE = DeadlineRule(amount=7, unit="days", working=True)
GENERAL_RESPONSE = DeadlineRule(amount=2, unit="hours", working=True)


class WarningLevel(StrEnum):
    normal = "normal"
    yellow = "yellow"
    red = "red"


@lru_cache(maxsize=1)
def calendar() -> WorkCalendar:
    """The official calendar with government office hours (built on first use)."""
    return WorkCalendar()


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    warn_at: datetime
    deadline_at: datetime
    working: bool


def start_clock(start: datetime, rule: DeadlineRule, *, warn_share: float) -> Clock:
    """A step started at ``start`` under ``rule``: when it turns yellow, when red."""
    cal = calendar()
    deadline = cal.deadline(start, rule)
    total = cal.elapsed(start, deadline, working=rule.working)
    if rule.working:
        warn = cal.add_working_time(start, total * warn_share)
    else:
        warn = start + total * warn_share
    return Clock(started_at=start, warn_at=warn, deadline_at=deadline, working=rule.working)


def extend(
    started_at: datetime, deadline_at: datetime, days: int, *, working: bool, warn_share: float
) -> tuple[datetime, datetime]:
    """A step's (warn_at, deadline_at) after ``days`` more, counted as the step's own rule
    counts: working days for a working-time deadline, calendar days for a natural one."""
    cal = calendar()
    if working:
        deadline = cal.add_working_days(deadline_at, days)
        total = cal.elapsed(started_at, deadline, working=True)
        return cal.add_working_time(started_at, total * warn_share), deadline
    deadline = deadline_at + timedelta(days=days)
    return started_at + (deadline - started_at) * warn_share, deadline


def handling_rule(category: Category | None, urgency: str) -> DeadlineRule:
    if urgency == Urgency.emergency:
        return EMERGENCY_DEADLINE
    if category is None:
        return GENERAL_DEADLINE
    return DeadlineRule(
        amount=category.deadline_amount,
        unit=category.deadline_unit,  # type: ignore[arg-type]  # validated on load
        working=category.deadline_working,
    )


def response_rule(category: Category | None, urgency: str) -> DeadlineRule:
    if urgency == Urgency.emergency:
        return EMERGENCY_RESPONSE
    if category is None:
        return GENERAL_RESPONSE
    return DeadlineRule(
        amount=category.response_amount,
        unit=category.response_unit,  # type: ignore[arg-type]
        working=category.response_working,
    )


def warning_at(
    now: datetime, warn_at: datetime | None, deadline_at: datetime | None
) -> WarningLevel:
    if deadline_at is None or warn_at is None:
        return WarningLevel.normal
    if now >= deadline_at:
        return WarningLevel.red
    if now >= warn_at:
        return WarningLevel.yellow
    return WarningLevel.normal
