"""Indicators zhili measures itself (``source: metric:<name>``), per district or street.

Kept deliberately small: the rates come from the assessment scorecards (one grouped query per
level and period), cases per 10 000 residents from the case table and ``Region.population``.
A unit with nothing to measure gets a missing value (imputation decides), never 0.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.assessment.metrics import METRICS_BY_CODE, UnitKind
from zhili.assessment.scorecards import scorecards
from zhili.cases.models import Case
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed
from zhili.indices.demo import LEVELS, Unit
from zhili.indices.framework import Framework
from zhili.indices.tables import Cell, Table
from zhili.org.models import Region, RegionLevel

PER_10K = "cases_per_10k"
METRIC_NAMES = (*METRICS_BY_CODE, PER_10K)


def _level(level: str) -> RegionLevel:
    lvl = RegionLevel(level)
    if lvl not in LEVELS:
        raise ValidationFailed("level", "district or street", "只支持区县或街道层级")
    return lvl


def units_from_db(session: Session, *, level: str) -> list[Unit]:
    """The districts or streets in the database, with their district's code."""
    lvl = _level(level)
    regions = session.scalars(select(Region).where(Region.level == lvl.value).order_by(Region.code))
    by_id = {r.id: r for r in session.scalars(select(Region).where(Region.level == "district"))}
    out = []
    for r in regions:
        district = r if lvl == RegionLevel.district else by_id.get(r.parent_id or 0, r)
        out.append(Unit(r.code, r.name, r.population or 0, district.code))
    return out


def fill_metrics(
    session: Session,
    *,
    settings: Settings,
    framework: Framework,
    table: Table,
    level: str,
    start: datetime,
    end: datetime,
) -> tuple[Table, list[str]]:
    """``table`` with every ``metric:`` indicator's column replaced by zhili's own figure for
    the period; returns the new table and the indicator codes filled."""
    lvl = _level(level)
    wanted = [i for i in framework.indicators if i.source.startswith("metric:")]
    for ind in wanted:
        if ind.source[7:] not in METRIC_NAMES:
            raise ValidationFailed(
                f"{framework.field_of(ind.code)}.source",
                f"unknown metric {ind.source[7:]}; zhili measures {', '.join(METRIC_NAMES)}",
                f"未知的系统指标 {ind.source[7:]}",
            )
    if not wanted:
        return table, []
    regions = {
        r.code: r for r in session.scalars(select(Region).where(Region.code.in_(table.codes)))
    }
    ids = {code: r.id for code, r in regions.items()}
    cards = scorecards(session, settings=settings, kind=UnitKind(lvl.value), start=start, end=end)
    key = Case.district_id if lvl == RegionLevel.district else Case.street_id
    counts = dict(
        session.execute(
            select(key, func.count())
            .where(Case.created_at >= start, Case.created_at < end, key.is_not(None))
            .group_by(key)
        ).all()
    )
    out = table
    for ind in wanted:
        name = ind.source[7:]
        column: list[Cell] = []
        for code in table.codes:
            rid = ids.get(code)
            value: float | None = None
            if rid is not None and name == PER_10K:
                pop = regions[code].population
                value = 10000.0 * counts.get(rid, 0) / pop if pop else None
            elif rid is not None and rid in cards:
                value = cards[rid].figures[name].rate
            column.append(value)
        out = out.with_column(ind.data_column, column)
    return out, [i.code for i in wanted]
