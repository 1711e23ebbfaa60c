"""What a city's year of cases looks like: when they come, what about, by which channel.

Pure data and sampling with a caller-given ``random.Random``: no database. The numbers are
plausible rather than measured — shaped after published 12345 figures (Beijing, Wuhan):
most requests by phone, office-hour peaks, quieter weekends, a deep trough over the Spring
Festival, summer noise and water complaints, winter heating, wage arrears before the new
year — so that dashboards, heat maps and rankings built on the demo look like a real city.
What each category is like (weights, seasons, texts) is ``zhili.demo.kinds``.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from zhili.cases.models import Channel, Urgency
from zhili.core.calendar import CHINA_TZ
from zhili.demo.kinds import (
    DEFAULT_KIND,
    EMERGENCY_SHARE,
    KINDS,
    SEASONS,
    SENSED,
    URGENT_SHARE,
)
from zhili.demo.names import SURNAMES
from zhili.demo.texts import CaseText, case_text

# -- rhythm -------------------------------------------------------------------------

# Intakes by local hour (weekday): 9–11 and 14–17 peaks, a lunch dip, quiet nights.
HOURS_WEEKDAY = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.15, 0.40, 0.80, 1.00, 1.00, 0.90,
    0.55, 0.60, 0.90, 0.95, 0.95, 0.80, 0.55, 0.50, 0.45, 0.35, 0.22, 0.14,
)  # fmt: skip
# Weekends: a later, flatter day.
HOURS_WEEKEND = (
    0.12, 0.07, 0.04, 0.03, 0.03, 0.04, 0.08, 0.20, 0.45, 0.75, 0.85, 0.80,
    0.60, 0.60, 0.75, 0.80, 0.80, 0.75, 0.60, 0.60, 0.55, 0.45, 0.28, 0.16,
)  # fmt: skip
WEEKDAY, SATURDAY, SUNDAY, HOLIDAY, MAKEUP_WORKDAY = 1.0, 0.62, 0.55, 0.5, 0.9
# Lunar New Year's Day (春节), for the trough around it.
SPRING_FESTIVAL = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
    2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26),
    2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
    2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}  # fmt: skip
# Office hours of each channel's staff; outside them the resident calls the hotline.
STAFF_HOURS = {Channel.gridder: (8, 18), Channel.department: (9, 17), Channel.petition: (9, 17)}


def day_factor(day: date, workday: bool) -> float:
    """Relative intake on ``day``: weekends, public holidays and the Spring Festival dip."""
    weekend = day.weekday() >= 5
    if workday:
        factor = MAKEUP_WORKDAY if weekend else WEEKDAY
    elif weekend:
        factor = SATURDAY if day.weekday() == 5 else SUNDAY
    else:
        factor = HOLIDAY
    for new_year in (SPRING_FESTIVAL.get(day.year), SPRING_FESTIVAL.get(day.year + 1)):
        if new_year is None:
            continue
        offset = (day - new_year).days
        if -1 <= offset <= 6:  # 除夕 to 初七: the city goes home
            return 0.3 if offset != 0 else 0.22
        if -8 <= offset <= -2:  # the last week before: people are leaving
            factor *= 0.8
    return factor


# -- plans ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridSpot:
    """A grid that cases can happen in, with how busy it is."""

    code: str
    address: str  # 街道 + 社区 + 网格, for the case's address line
    weight: float


@dataclass(frozen=True, slots=True)
class CasePlan:
    """One case as it will be reported; what then happens to it is decided as it goes."""

    index: int
    at: datetime  # UTC
    category: str
    channel: Channel
    urgency: Urgency
    grid: str  # grid code
    lon: float
    lat: float
    title: str
    description: str
    address: str
    caller: tuple[str, str] | None  # (name, phone) of a caller or a petitioner
    anonymous: bool
    duplicate_of: int | None  # an earlier plan index this one repeats


def caller_name(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    return surname + ("女士" if rng.random() < 0.52 else "先生")


def full_name(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    given = "".join(rng.choice(_GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


_SURNAMES = tuple(s for s, _ in SURNAMES)
_SURNAME_CUM = tuple(accumulate(w for _, w in SURNAMES))
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红鹏辉建文斌宇浩凯健俊欣婷雪琳晨颖"
_MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "182", "187", "188")


class Planner:
    """Draws a year of case plans; ``points(grid_code, n)`` gives points inside a grid."""

    def __init__(
        self,
        rng: random.Random,
        *,
        categories: Sequence[tuple[str, str]],  # (code, kind) of leaf categories
        grids: Sequence[GridSpot],
        workday: Callable[[date], bool],  # the official calendar
        point_in: Callable[[str, random.Random], tuple[float, float]],
    ) -> None:
        self.rng = rng
        self.codes = [c for c, _ in categories]
        self.kind_of = dict(categories)
        self.grids = list(grids)
        self.grid_cum = list(accumulate(g.weight for g in self.grids))
        self.grid_by_code = {g.code: g for g in self.grids}
        self.workday = workday
        self.point_in = point_in
        # Texts draw from their own stream (seeded from this one without advancing it), so
        # richer texts leave every other draw of the simulation as it was.
        self.text_rng = random.Random(f"texts:{rng.getstate()[1][:8]}")
        self.texts: dict[int, CaseText] = {}
        # category weights for each month
        self.month_cum = [
            list(accumulate(KINDS.get(c, DEFAULT_KIND).weight * _season(c, m) for c in self.codes))
            for m in range(12)
        ]

    def intake_times(self, count: int, start: datetime, end: datetime) -> list[datetime]:
        rng = self.rng
        first = start.astimezone(CHINA_TZ).date()
        last = end.astimezone(CHINA_TZ).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        weights = [day_factor(d, self.workday(d)) * self.month_cum[d.month - 1][-1] for d in days]
        day_cum = list(accumulate(weights))
        weekday_cum = list(accumulate(HOURS_WEEKDAY))
        weekend_cum = list(accumulate(HOURS_WEEKEND))
        out: list[datetime] = []
        while len(out) < count:
            day = days[bisect_right(day_cum, rng.random() * day_cum[-1])]
            cum = weekday_cum if self.workday(day) else weekend_cum
            hour = bisect_right(cum, rng.random() * cum[-1])
            local = datetime.combine(day, time(hour), tzinfo=CHINA_TZ) + timedelta(
                seconds=rng.randrange(3600)
            )
            at = local.astimezone(UTC)
            if start <= at < end:
                out.append(at)
        out.sort()
        return out

    def category(self, at: datetime) -> str:
        cum = self.month_cum[at.astimezone(CHINA_TZ).month - 1]
        return self.codes[bisect_right(cum, self.rng.random() * cum[-1])]

    def channel(self, code: str, at: datetime) -> Channel:
        rng = self.rng
        kind = self.kind_of.get(code, "event")
        if kind == "hotline":
            options = {Channel.hotline: 74, Channel.app: 10, Channel.web: 8, Channel.petition: 5}
            options[Channel.department] = 3
        elif kind == "component":
            options = {Channel.gridder: 45, Channel.hotline: 28, Channel.app: 15, Channel.web: 4}
        else:
            options = {Channel.gridder: 32, Channel.hotline: 40, Channel.app: 16, Channel.web: 5}
            options.update({Channel.petition: 2, Channel.department: 3})
        if code in SENSED:
            options[Channel.sensor] = 14
        channel = rng.choices(list(options), weights=list(options.values()))[0]
        hours = STAFF_HOURS.get(channel)
        if hours is not None and not hours[0] <= at.astimezone(CHINA_TZ).hour < hours[1]:
            channel = Channel.hotline  # after hours the resident phones 12345
        return channel

    def urgency(self, code: str) -> Urgency:
        r = self.rng.random()
        if r < EMERGENCY_SHARE.get(code, 0.0):
            return Urgency.emergency
        if r < EMERGENCY_SHARE.get(code, 0.0) + URGENT_SHARE.get(code, 0.0):
            return Urgency.urgent
        return Urgency.normal

    def plans(self, count: int, start: datetime, end: datetime) -> list[CasePlan]:
        rng = self.rng
        out: list[CasePlan] = []
        for index, at in enumerate(self.intake_times(count, start, end)):
            code = self.category(at)
            channel = self.channel(code, at)
            duplicate_of = self._duplicate_target(out, at, channel)
            if duplicate_of is not None:
                code = out[duplicate_of].category
                spot = self.grid_by_code[out[duplicate_of].grid]
            else:
                spot = self.grids[bisect_right(self.grid_cum, rng.random() * self.grid_cum[-1])]
            lon, lat = self.point_in(spot.code, rng)
            text = self.text(index, code, channel, spot.address, duplicate_of)
            caller: tuple[str, str] | None = None
            anonymous = False
            if channel in (Channel.hotline, Channel.petition):
                anonymous = channel == Channel.hotline and rng.random() < 0.08
                if not anonymous:
                    caller = (caller_name(rng), mobile(rng))
            out.append(
                CasePlan(
                    index=index,
                    at=at,
                    category=code,
                    channel=channel,
                    urgency=self.urgency(code),
                    grid=spot.code,
                    lon=lon,
                    lat=lat,
                    title=text.title,
                    description=text.description,
                    address=spot.address,
                    caller=caller,
                    anonymous=anonymous,
                    duplicate_of=duplicate_of,
                )
            )
        return out

    def text(
        self, index: int, code: str, channel: Channel, address: str, duplicate_of: int | None
    ) -> CaseText:
        """What the report says (``zhili.demo.texts``); a repeat names the same thing."""
        voice = {
            Channel.gridder: "patrol",
            Channel.sensor: "patrol",
            Channel.app: "resident",
            Channel.web: "resident",
        }.get(channel, "hotline")
        like = self.texts.get(duplicate_of) if duplicate_of is not None else None
        text = case_text(self.text_rng, code, address, voice=voice, like=like)
        self.texts[index] = text
        return text

    def _duplicate_target(
        self, earlier: list[CasePlan], at: datetime, channel: Channel
    ) -> int | None:
        """About one case in twenty repeats a problem someone reported in the last 2 days."""
        rng = self.rng
        if channel in (Channel.gridder, Channel.sensor) or rng.random() >= 0.05:
            return None
        candidates = [
            p.index
            for p in earlier[-60:]
            if at - p.at <= timedelta(days=2)
            and p.duplicate_of is None
            and self.kind_of.get(p.category) != "hotline"
        ]
        return rng.choice(candidates) if candidates else None


def _season(code: str, month: int) -> float:
    return SEASONS[KINDS.get(code, DEFAULT_KIND).season][month]
