"""Scorecards: every measure of every unit of a level, aggregated in SQL.

Read-only (no state changes), so it is not a service: routes, rankings and exports call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from zhili.assessment.metrics import COMPOSITE_PARTS, METRICS, METRICS_BY_CODE, UnitKind
from zhili.assessment.models import RollupWatermark, assessment_rollup
from zhili.cases.models import Case, CaseEvent
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed

E = CaseEvent


def _rate(numerator: int, denominator: int) -> float | None:
    if denominator == 0:
        return None
    return round(100.0 * numerator / denominator, 2)


@dataclass(slots=True)
class Figure:
    code: str
    name_zh: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """In per cent; None when there is nothing to measure (not 0 and not 100)."""
        return _rate(self.numerator, self.denominator)


# (index, code, name, subtract) of every metric, in the order of the counters
_LAYOUT = [(i, m.code, m.name_zh, m.subtract) for i, m in enumerate(METRICS)]


class Scorecard:
    """One unit's figures for a period.

    Read from counters (n, d of every metric in METRICS order), the figures are built on
    first use: a page of every unit's cards reads the composite of each and the figures
    of a few, so most cards never build their twelve Figure objects.
    """

    __slots__ = ("_counts", "_figures", "composite", "end", "start", "unit_id", "unit_kind")

    def __init__(
        self,
        unit_kind: UnitKind,
        unit_id: int,
        start: datetime,
        end: datetime,
        figures: dict[str, Figure] | None = None,
        composite: float | None = None,
        counts: list[int] | None = None,
    ) -> None:
        self.unit_kind = unit_kind
        self.unit_id = unit_id
        self.start = start
        self.end = end
        self.composite = composite
        self._figures = figures
        self._counts = counts

    @property
    def figures(self) -> dict[str, Figure]:
        if self._figures is None:
            counts = self._counts or [0] * (2 * len(METRICS))
            self._figures = {
                code: Figure(
                    code,
                    name,
                    counts[2 * i + 1] - counts[2 * i] if subtract else counts[2 * i],
                    counts[2 * i + 1],
                )
                for i, code, name, subtract in _LAYOUT
            }
        return self._figures

    @figures.setter
    def figures(self, figures: dict[str, Figure]) -> None:
        self._figures = figures

    def cases(self) -> int:
        """How many assignments the card rests on (the sample size for fair ranking)."""
        return max(
            self.figures["response_rate"].denominator, self.figures["satisfaction_rate"].denominator
        )


def unit_key(kind: UnitKind) -> Any:
    """The column a unit's figures are grouped by: whom the step was for, or where it was."""
    if kind == UnitKind.department:
        return E.unit_department_id
    return getattr(Case, f"{kind.value}_id")


def _count(cond: ColumnElement[bool]) -> ColumnElement[int]:
    # COUNT(*) FILTER: an event meets only two or three of the conditions, and only those
    # advance an aggregate (SUM(CASE …) would advance all of them for every event).
    return func.count().filter(cond)


def weights(settings: Settings) -> dict[str, float]:
    return {
        "response_rate": settings.weight_response,
        "resolution_rate": settings.weight_resolution,
        "satisfaction_rate": settings.weight_satisfaction,
    }


def _weighted(parts: list[tuple[float, float | None]]) -> float | None:
    measured = [(weight, rate) for weight, rate in parts if rate is not None]
    total = sum(weight for weight, _ in measured)
    if not measured or total == 0:
        return None
    return round(sum(weight * rate for weight, rate in measured) / total, 2)


def composite(figures: dict[str, Figure], w: dict[str, float]) -> float | None:
    """Weighted 三率; a part with nothing to measure is left out and the rest re-weighted."""
    return _weighted([(w[c], figures[c].rate) for c in COMPOSITE_PARTS])


def count_columns() -> list[Any]:
    """The n and d of every metric as SUM(CASE …) columns, labelled ``<code>__n/__d``."""
    columns = []
    for m in METRICS:
        columns.append(_count(m.numerator).label(f"{m.code}__n"))
        columns.append(_count(m.denominator).label(f"{m.code}__d"))
    return columns


def _is_midnight(moment: datetime) -> bool:
    local = moment.astimezone(CHINA_TZ)
    return local.time() == time(0) and local.tzinfo is not None


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def _rollup_slices(d0: date, d1: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Split [d0, d1) into whole months (read from monthly rows) and day ranges."""
    months: list[date] = []
    days: list[tuple[date, date]] = []
    cursor = d0
    while cursor < d1:
        if cursor.day == 1 and _next_month(cursor) <= d1:
            months.append(cursor)
            cursor = _next_month(cursor)
        else:
            stop = min(_next_month(_month_start(cursor)), d1)
            days.append((cursor, stop))
            cursor = stop
    return months, days


Totals = dict[tuple[str, int], list[int]]


def _add(totals: Totals, rows: Any) -> None:
    """Add rows of (kind, unit_id, n, d, n, d, …) to the running totals."""
    width = 2 * len(METRICS)
    for row in rows:
        values = totals.setdefault((row[0], int(row[1])), [0] * width)
        for i, v in enumerate(row[2:]):
            if v:
                values[i] += int(v)


def _totals(
    session: Session,
    *,
    kinds: Sequence[UnitKind],
    start: datetime,
    end: datetime,
    unit_ids: Sequence[int] | None,
    use_rollup: bool,
) -> Totals:
    """Every metric's n and d per (level, unit) with any event in [start, end).

    Periods of whole days read the rollup — one grouped query for all the levels asked,
    months from monthly rows and the rest from daily rows — for events up to its
    watermark, and count the newer events live; other periods are counted live.
    """
    if end <= start:
        raise ValidationFailed(
            "end", "the period ends before it starts", "统计截止时间早于开始时间"
        )
    watermark = session.scalar(select(RollupWatermark.last_event_id).where(RollupWatermark.id == 1))
    totals: Totals = {}
    after = 0  # count live only the events beyond this id
    if use_rollup and watermark and _is_midnight(start) and _is_midnight(end):
        r = assessment_rollup.c
        sums = [func.sum(r[f"{m.code}__{x}"]) for m in METRICS for x in ("n", "d")]
        months, days = _rollup_slices(
            start.astimezone(CHINA_TZ).date(), end.astimezone(CHINA_TZ).date()
        )
        slices = [and_(r.grain == "m", r.day.in_(months))] if months else []
        slices += [and_(r.grain == "d", r.day >= a, r.day < b) for a, b in days]
        query = (
            select(r.kind, r.unit_id, *sums)
            .where(r.kind.in_([k.value for k in kinds]), or_(*slices))
            .group_by(r.kind, r.unit_id)
        )
        if unit_ids is not None:
            query = query.where(r.unit_id.in_(list(unit_ids)))
        _add(totals, session.execute(query))
        after = watermark
        # Only the events beyond the watermark are counted live; usually a minute's worth.
        if (session.scalar(select(func.max(E.id))) or 0) <= watermark:
            return totals
    for kind in kinds:
        key = unit_key(kind)
        live = (
            select(literal(kind.value), key, *count_columns())
            .select_from(E)
            .join(Case, Case.id == E.case_id)
            .where(E.at >= start, E.at < end, key.is_not(None))
            .group_by(key)
        )
        if after:
            live = live.where(E.id > after)
        if unit_ids is not None:
            live = live.where(key.in_(list(unit_ids)))
        _add(totals, session.execute(live))
    return totals


def _cards(totals: Totals, start: datetime, end: datetime, w: dict[str, float]) -> Any:
    """(kind, unit_id, Scorecard) for every unit in ``totals``; figures built on first use."""
    parts = [(w[code], i, subtract) for i, code, _, subtract in _LAYOUT if code in COMPOSITE_PARTS]
    kinds = {k.value: k for k in UnitKind}
    for (kind, unit_id), c in totals.items():
        # the same rounded rates the figures show (Figure.rate), weighted as ``composite``
        value = _weighted(
            [
                (weight, _rate(c[2 * i + 1] - c[2 * i] if sub else c[2 * i], c[2 * i + 1]))
                for weight, i, sub in parts
            ]
        )
        yield kind, unit_id, Scorecard(kinds[kind], unit_id, start, end, None, value, c)


def scorecards(
    session: Session,
    *,
    settings: Settings,
    kind: UnitKind,
    start: datetime,
    end: datetime,
    unit_ids: Sequence[int] | None = None,
    use_rollup: bool = True,
) -> dict[int, Scorecard]:
    """Scorecards of every unit of ``kind`` with any event in [start, end).

    Read through the rollup where the period allows (see ``_totals``); both ways give the
    same figures (a test holds them to it).
    """
    totals = _totals(
        session, kinds=[kind], start=start, end=end, unit_ids=unit_ids, use_rollup=use_rollup
    )
    return {u: card for _, u, card in _cards(totals, start, end, weights(settings))}


def every_scorecard(
    session: Session, *, settings: Settings, start: datetime, end: datetime
) -> dict[UnitKind, dict[int, Scorecard]]:
    """Scorecards of every unit of every level (with any event in the period) at once."""
    totals = _totals(
        session, kinds=list(UnitKind), start=start, end=end, unit_ids=None, use_rollup=True
    )
    cards: dict[UnitKind, dict[int, Scorecard]] = {k: {} for k in UnitKind}
    for kind, unit_id, card in _cards(totals, start, end, weights(settings)):
        cards[UnitKind(kind)][unit_id] = card
    return cards


def empty_card(kind: UnitKind, unit_id: int, start: datetime, end: datetime) -> Scorecard:
    return Scorecard(kind, unit_id, start, end, counts=[0] * (2 * len(METRICS)))


def drilldown(
    session: Session,
    *,
    kind: UnitKind,
    unit_id: int,
    metric: str,
    part: str,
    start: datetime,
    end: datetime,
    limit: int = 500,
) -> list[int]:
    """The cases behind a figure: ids of cases with a numerator (or denominator) event."""
    m = METRICS_BY_CODE.get(metric)
    if m is None:
        raise ValidationFailed("metric", f"unknown metric {metric}", "未知指标")
    if part not in ("numerator", "denominator"):
        raise ValidationFailed("part", "numerator or denominator", "只能查看分子或分母")
    cond = m.denominator if part == "denominator" else m.numerator
    key = unit_key(kind)
    rows = session.scalars(
        select(E.case_id)
        .join(Case, Case.id == E.case_id)
        .where(E.at >= start, E.at < end, key == unit_id, cond)
        .group_by(E.case_id)
        .order_by(E.case_id)
        .limit(limit)
    )
    return list(rows)
