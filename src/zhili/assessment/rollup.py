"""The SQL of the assessment rollup: case events → daily and monthly counts per unit.

Builds statements only; ``service.refresh_rollup`` runs them (state changes live there).

Two steps, so that the long step — reading every new event — does as little as possible:

1. ``stage``: one pass over the new events joined to their cases groups them twice, by
   (Beijing day, department) and by (Beijing day, grid, community, street, district): two
   hash tables per event instead of five.
2. ``daily``: the place rows are rolled up to each of the four area levels from the staged
   rows (a few per grid and day, not one per event), next to the department rows as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    tuple_,
    union_all,
)

from zhili.assessment.metrics import UnitKind
from zhili.assessment.models import assessment_rollup
from zhili.assessment.scorecards import count_columns
from zhili.cases.models import Case, CaseEvent

COUNTS = [c.name for c in assessment_rollup.c if c.name.endswith(("__n", "__d"))]
# The place chain, coarsest last; the department is the other kind of unit.
PLACES = {
    UnitKind.grid: Case.grid_id,
    UnitKind.community: Case.community_id,
    UnitKind.street: Case.street_id,
    UnitKind.district: Case.district_id,
}
_DEPT = CaseEvent.unit_department_id


def event_day(dialect: str) -> Any:
    """The Beijing-time day of an event, in the database's SQL.

    A fixed UTC+8: China has not changed its offset or kept summer time since 1991, so this
    is the Asia/Shanghai day of every event the system records, without a look-up in the
    time-zone rules per event (a tenth of the pass over a year of events on PostgreSQL).
    """
    if dialect == "postgresql":
        return func.timezone(literal_column("interval '8 hours'"), CaseEvent.at).cast(Date)
    return func.date(CaseEvent.at, "+8 hours")


def month_of(dialect: str, day: Any) -> Any:
    if dialect == "postgresql":
        return func.date_trunc("month", day).cast(Date)
    return func.date(day, "start of month")


def stage(dialect: str, low: int, high: int) -> Any:
    """(day, department, grid, community, street, district, every n and d) of events in (low, high].

    A row with a department is that department's day; a row without one is a place's day
    (the four place keys as the case has them). PostgreSQL hashes both groupings in one pass
    (GROUPING SETS); SQLite, without grouping sets, groups twice (UNION ALL): the same rows.
    """
    day = event_day(dialect).label("day")
    # int, not COUNT's bigint: the sums over the staged rows then add machine integers
    # (SUM of a bigint is a numeric, several times slower to add and to store)
    counts = [cast(c.element, Integer).label(c.name) for c in count_columns()]
    places = [key.label(kind.value) for kind, key in PLACES.items()]
    base = (
        select()
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.id > low, CaseEvent.id <= high)
    )
    if dialect == "postgresql":
        return (
            base.add_columns(day, _DEPT.label("department"), *places, *counts)
            .group_by(func.grouping_sets(tuple_(day, _DEPT), tuple_(day, *PLACES.values())))
            # the department grouping's row for events without a department is no unit's
            .having((func.grouping(_DEPT) == 1) | _DEPT.is_not(None))
        )
    nulls = [literal(None).label(kind.value) for kind in PLACES]
    by_department = (
        base.add_columns(day, _DEPT.label("department"), *nulls, *counts)
        .where(_DEPT.is_not(None))
        .group_by(day, _DEPT)
    )
    by_place = base.add_columns(day, literal(None).label("department"), *places, *counts).group_by(
        day, *PLACES.values()
    )
    return union_all(by_department, by_place)


STAGE_COLUMNS = ("day", "department", *[k.value for k in PLACES], *COUNTS)


def daily(staged: str) -> Any:
    """(kind, day, unit_id, every n and d) per level, unit and day, from the staged rows."""
    s = table(staged, *[column(n) for n in STAGE_COLUMNS])
    unit = s.c.department
    parts: list[Select[Any]] = [
        select(literal(UnitKind.department.value).label("kind"), s.c.day, unit.label("unit_id"))
        .add_columns(*[s.c[n] for n in COUNTS])
        .where(unit.is_not(None))
    ]
    for kind in PLACES:
        key = s.c[kind.value]
        parts.append(
            select(literal(kind.value), s.c.day, key)
            .add_columns(*[cast(func.sum(s.c[n]), Integer) for n in COUNTS])
            .where(s.c.department.is_(None), key.is_not(None))
            .group_by(s.c.day, key)
        )
    return union_all(*parts)


def monthly(dialect: str, days: str) -> Any:
    """("m", kind, month, unit_id, every n and d) summed from daily rows in the table ``days``."""
    d = table(days, *[column(n) for n in ("kind", "day", "unit_id", *COUNTS)])
    month = month_of(dialect, d.c.day)
    return (
        select(literal("m"), d.c.kind, month, d.c.unit_id, *[func.sum(d.c[n]) for n in COUNTS])
        # (a WHERE before SQLite's ON CONFLICT keeps its parser from reading it as a join's)
        .where(d.c.unit_id.is_not(None))
        .group_by(d.c.kind, month, d.c.unit_id)
    )


def as_daily(days: str) -> Any:
    """The daily rows in the table ``days`` as rollup rows (grain "d")."""
    d = table(days, *[column(n) for n in ("kind", "day", "unit_id", *COUNTS)])
    return select(literal("d"), *d.c).where(d.c.unit_id.is_not(None))
