"""The dashboard's figures, each one aggregated by the database (one query per panel).

Read-only: nothing here changes state. Every function takes the unit being looked at (already
checked against the viewer's scope by ``scope.resolve``) and ``now``, so tests can pin time.
A unit's cases are those whose place lies in it; at the city level also the cases with no
known place (as the case queues count them for city-wide staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, func, select, true
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased

from zhili.cases.categories.models import Category
from zhili.cases.models import OPEN_STATES, Case, Channel
from zhili.cases.whistles.models import SummonsState, Whistle, WhistleSummons
from zhili.core.calendar import CHINA_TZ
from zhili.org.models import Department, Region, RegionLevel
from zhili.web.dashboard.scope import child_level

CHANNEL_LABELS_ZH: dict[str, str] = {
    Channel.hotline: "12345热线",
    Channel.gridder: "网格员上报",
    Channel.app: "移动应用",
    Channel.web: "网站",
    Channel.petition: "信访",
    Channel.department: "部门移交",
    Channel.sensor: "物联感知",
}
_OPEN = [s.value for s in OPEN_STATES]


def _sum(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(when((cond, 1), else_=0)), 0).cast(Integer)


def in_area(region: Region) -> ColumnElement[bool]:
    """The cases of ``region``: one equality on the place column the case row carries."""
    if region.parent_id is None:
        return true()
    return getattr(Case, f"{region.level}_id") == region.id  # type: ignore[no-any-return]


def is_red(now: datetime) -> ColumnElement[bool]:
    return Case.deadline_at <= now


def is_yellow(now: datetime) -> ColumnElement[bool]:
    return (Case.warn_at <= now) & (Case.deadline_at > now)


def local_midnight(now: datetime) -> datetime:
    """The start of ``now``'s day in Beijing time (the day the counters count)."""
    local = now.astimezone(CHINA_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# -- live counters ------------------------------------------------------------------------


@dataclass
class Counters:
    open: int
    red: int
    yellow: int
    today_intake: int
    today_closed: int
    whistles_awaiting: int  # summoned departments that have not reported in yet
    whistles_late: int  # … of which the report-in time has passed


def counters(session: Session, region: Region, *, now: datetime) -> Counters:
    today = local_midnight(now)
    is_open = Case.state.in_(_OPEN)
    row = session.execute(
        select(
            _sum(is_open),
            _sum(is_open & is_red(now)),
            _sum(is_open & is_yellow(now)),
            _sum(Case.created_at >= today),
            _sum(Case.closed_at >= today),
        ).where(in_area(region), is_open | (Case.created_at >= today) | (Case.closed_at >= today))
    ).one()
    whistles = session.execute(
        select(func.count(), _sum(WhistleSummons.report_due_at <= now))
        .select_from(WhistleSummons)
        .join(Whistle, Whistle.id == WhistleSummons.whistle_id)
        .join(Case, Case.id == Whistle.case_id)
        .where(WhistleSummons.state == SummonsState.summoned.value, in_area(region))
    ).one()
    return Counters(
        open=row[0],
        red=row[1],
        yellow=row[2],
        today_intake=row[3],
        today_closed=row[4],
        whistles_awaiting=int(whistles[0] or 0),
        whistles_late=int(whistles[1] or 0),
    )


# -- the map ------------------------------------------------------------------------------


@dataclass
class UnitFigures:
    id: int
    code: str
    name: str
    level: str
    open: int = 0
    red: int = 0
    yellow: int = 0
    households: int | None = None


def map_figures(session: Session, region: Region, *, now: datetime) -> list[UnitFigures]:
    """Open, red and yellow cases of each child unit of ``region`` (none below a grid)."""
    level = child_level(region.level)
    if level is None:
        return []
    units = {
        r.id: UnitFigures(r.id, r.code, r.name, r.level, households=r.households)
        for r in session.execute(
            select(Region.id, Region.code, Region.name, Region.level, Region.households)
            .where(Region.parent_id == region.id, Region.level == level.value)
            .order_by(Region.code)
        )
    }
    key = getattr(Case, f"{level.value}_id")
    rows = session.execute(
        select(key, func.count(), _sum(is_red(now)), _sum(is_yellow(now)))
        .where(in_area(region), Case.state.in_(_OPEN), key.is_not(None))
        .group_by(key)
    )
    for unit_id, n_open, n_red, n_yellow in rows:
        unit = units.get(unit_id)
        if unit is not None:
            unit.open, unit.red, unit.yellow = int(n_open), int(n_red), int(n_yellow)
    return list(units.values())


def case_points(
    session: Session, region: Region, *, now: datetime, limit: int = 500
) -> list[dict[str, Any]]:
    """The open cases of a grid as points (the map's last level), most urgent first."""
    if region.level != RegionLevel.grid.value:
        return []
    rows = session.execute(
        select(Case.id, Case.number, Case.title, Case.lon, Case.lat, Case.warn_at, Case.deadline_at)
        .where(
            Case.grid_id == region.id,
            Case.state.in_(_OPEN),
            Case.lon.is_not(None),
            Case.lat.is_not(None),
        )
        .order_by(Case.deadline_at.asc().nulls_last(), Case.id)
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "number": r.number,
            "title": r.title,
            "lon": r.lon,
            "lat": r.lat,
            "warning": _warning(now, r.warn_at, r.deadline_at),
        }
        for r in rows
    ]


def _warning(now: datetime, warn_at: datetime | None, deadline_at: datetime | None) -> str:
    if deadline_at is not None and deadline_at <= now:
        return "red"
    if warn_at is not None and warn_at <= now:
        return "yellow"
    return "normal"


# -- volume over time and the mix ---------------------------------------------------------


def _local_day(session: Session, column: Any, grain: str) -> Any:
    """The Beijing-time day (or month) of a timestamp column, in the database's own SQL."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", column)
        if grain == "month":
            return func.date_trunc("month", local).cast(Date)
        return local.cast(Date)
    modifiers = ("+8 hours", "start of month") if grain == "month" else ("+8 hours",)
    return func.date(column, *modifiers)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _buckets(now: datetime, grain: str, span: int) -> list[date]:
    today = now.astimezone(CHINA_TZ).date()
    if grain == "day":
        return [today - timedelta(days=span - 1 - i) for i in range(span)]
    months = []
    year, month = today.year, today.month
    for _ in range(span):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


@dataclass
class Trend:
    grain: str
    buckets: list[date]
    intake: list[int]
    closed: list[int]


def trend(
    session: Session, region: Region, *, now: datetime, grain: str = "day", span: int = 30
) -> Trend:
    """Cases received and closed per Beijing day (or month) over the last ``span`` of them."""
    buckets = _buckets(now, grain, span)
    start = datetime.combine(buckets[0], datetime.min.time(), tzinfo=CHINA_TZ)
    series: dict[str, dict[date, int]] = {}
    for name, column in (("intake", Case.created_at), ("closed", Case.closed_at)):
        day = _local_day(session, column, grain).label("bucket")
        rows = session.execute(
            select(day, func.count())
            .where(in_area(region), column >= start, column <= now)
            .group_by(day)
        )
        series[name] = {_as_date(b): int(n) for b, n in rows}
    return Trend(
        grain=grain,
        buckets=buckets,
        intake=[series["intake"].get(b, 0) for b in buckets],
        closed=[series["closed"].get(b, 0) for b in buckets],
    )


@dataclass
class Slice:
    key: str
    name: str
    count: int


def category_mix(
    session: Session, region: Region, *, start: datetime, end: datetime
) -> list[Slice]:
    """Cases received in [start, end) by major class (大类), largest first."""
    minor, major = aliased(Category), aliased(Category)
    rows = session.execute(
        select(major.code, major.name, func.count())
        .select_from(Case)
        .outerjoin(minor, minor.id == Case.category_id)
        .outerjoin(major, major.id == func.coalesce(minor.parent_id, minor.id))
        .where(in_area(region), Case.created_at >= start, Case.created_at < end)
        .group_by(major.code, major.name)
    )
    slices = [Slice(code or "none", name or "未分类", int(n)) for code, name, n in rows]
    return sorted(slices, key=lambda s: (-s.count, s.key))


def channel_mix(session: Session, region: Region, *, start: datetime, end: datetime) -> list[Slice]:
    """Cases received in [start, end) by channel, largest first."""
    rows = session.execute(
        select(Case.channel, func.count())
        .where(in_area(region), Case.created_at >= start, Case.created_at < end)
        .group_by(Case.channel)
    )
    slices = [Slice(ch, CHANNEL_LABELS_ZH.get(ch, ch), int(n)) for ch, n in rows]
    return sorted(slices, key=lambda s: (-s.count, s.key))


# -- red warnings -------------------------------------------------------------------------


@dataclass
class RedCase:
    id: int
    number: str
    title: str
    state: str
    urgency: str
    category: str | None
    handler: str | None
    place: str | None
    deadline_at: datetime
    overdue_hours: float
    escalation_level: int


def red_cases(
    session: Session, region: Region, *, now: datetime, limit: int = 20
) -> tuple[list[RedCase], int]:
    """Open cases past their step's deadline, longest overdue first, and how many there are."""
    where = [in_area(region), Case.state.in_(_OPEN), is_red(now)]
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    handler_unit, community, street = aliased(Region), aliased(Region), aliased(Region)
    rows = session.execute(
        select(
            Case.id,
            Case.number,
            Case.title,
            Case.state,
            Case.urgency,
            Case.deadline_at,
            Case.escalation_level,
            Category.name.label("category"),
            func.coalesce(Department.name, handler_unit.name).label("handler"),
            street.name.label("street"),
            community.name.label("community"),
        )
        .select_from(Case)
        .outerjoin(Category, Category.id == Case.category_id)
        .outerjoin(Department, Department.id == Case.handler_department_id)
        .outerjoin(handler_unit, handler_unit.id == Case.handler_region_id)
        .outerjoin(street, street.id == Case.street_id)
        .outerjoin(community, community.id == Case.community_id)
        .where(*where)
        .order_by(Case.deadline_at.asc(), Case.id.asc())
        .limit(limit)
    )
    items = []
    for r in rows:
        place = " ".join(p for p in (r.street, r.community) if p) or None
        items.append(
            RedCase(
                id=r.id,
                number=r.number,
                title=r.title,
                state=r.state,
                urgency=r.urgency,
                category=r.category,
                handler=r.handler,
                place=place,
                deadline_at=r.deadline_at,
                overdue_hours=round((now - r.deadline_at).total_seconds() / 3600, 1),
                escalation_level=r.escalation_level,
            )
        )
    return items, total
