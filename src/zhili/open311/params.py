"""Reading GeoReport v2 parameters: W3 datetimes, comma lists, date windows, pages.

Every problem is a 400 naming the parameter, in English and Chinese; several problems in one
request are reported together (a form with three mistakes gets three ``<error>`` elements).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from zhili.core.clock import utcnow
from zhili.core.errors import ValidationFailed

MAX_WINDOW = timedelta(days=90)  # the spec's default and largest span
MAX_PAGE_SIZE = 1000  # the spec's default query limit
# The zone of a local time sent without one (a Chinese city: Beijing time).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    message_zh: str

    def describe(self) -> str:
        return f"{self.field}: {self.message} ({self.message_zh})"


class InvalidRequest(ValidationFailed):
    """One or more bad parameters (HTTP 400 in Open311, one error element each)."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.field, first.message, first.message_zh)
        self.problems = problems


def invalid(field: str, message: str, message_zh: str) -> InvalidRequest:
    return InvalidRequest([Problem(field, message, message_zh)])


def given(value: str | None) -> str | None:
    """The spec: an empty parameter is the same as one not sent at all."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_w3(field: str, value: str, *, naive_zone: ZoneInfo | None = None) -> datetime:
    """A W3 datetime with its zone (``Z`` or ``+08:00``); a bare date means midnight UTC.

    ``naive_zone`` lets attribute answers without a zone count as local (Beijing) time, as an
    HTML datetime input sends them; the query parameters of the spec must carry a zone.
    """
    try:
        if _DATE_ONLY.match(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid(
            field,
            "not a W3 datetime such as 2010-01-01T00:00:00Z",
            "时间格式应为 W3 格式，如 2010-01-01T00:00:00Z",
        ) from exc
    if parsed.tzinfo is None:
        if naive_zone is None:
            raise invalid(field, "the datetime needs a time zone", "时间须带时区，如 Z 或 +08:00")
        parsed = parsed.replace(tzinfo=naive_zone)
    return parsed.astimezone(UTC)


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """start/end as the spec has it: at most 90 days, the most recent 90 by default."""
    start, end = given(start), given(end)
    start_at = parse_w3("start_date", start) if start else None
    end_at = parse_w3("end_date", end) if end else None
    if start_at is None and end_at is None:
        end_at = utcnow()
    if start_at is None:
        assert end_at is not None
        start_at = end_at - MAX_WINDOW
    if end_at is None:
        end_at = start_at + MAX_WINDOW
    if end_at < start_at:
        raise invalid("end_date", "end_date is before start_date", "结束时间早于开始时间")
    if end_at - start_at > MAX_WINDOW:
        raise invalid(
            "end_date", "the range may not span more than 90 days", "查询区间不能超过90天"
        )
    return start_at, end_at


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page(number: str | None, size: str | None) -> Page:
    """page (from 1) and page_size (1–1000, default 1000)."""
    problems = []
    values = []
    for field, raw, default, top in (
        ("page", number, 1, None),
        ("page_size", size, MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    ):
        text = given(raw)
        value = int(text) if text is not None and text.isdigit() else None
        if text is None:
            value = default
        if value is None or value < 1 or (top is not None and value > top):
            limit = f"1–{top}" if top else "≥ 1"
            problems.append(Problem(field, f"must be an integer {limit}", f"须为整数（{limit}）"))
            value = default
        values.append(value)
    if problems:
        raise InvalidRequest(problems)
    return Page(values[0], values[1])


def parse_now_or(field: str, value: str | None) -> datetime:
    text = given(value)
    return parse_w3(field, text) if text else utcnow()
