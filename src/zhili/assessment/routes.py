"""HTTP API of the assessment, under /api/v1/assessment."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from zhili.assessment import export, points, rankings, service
from zhili.assessment.metrics import UnitKind
from zhili.assessment.points import unit_points
from zhili.assessment.schemas import (
    AdjustmentIn,
    DecisionIn,
    FeedbackIn,
    FigureOut,
    RankingOut,
    RatingIn,
    ScorecardOut,
)
from zhili.assessment.scorecards import Scorecard, drilldown, empty_card, scorecards
from zhili.cases.models import Case
from zhili.core.errors import ValidationFailed
from zhili.core.security import Permission
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(prefix="/assessment", tags=["assessment"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(
    month: str | None, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime, str | None]:
    if month:
        s, e = rankings.month_bounds(month)
        return s, e, month
    if start is None or end is None:
        raise ValidationFailed(
            "month", "give month=YYYY-MM or start and end", "请指定月份或起止时间"
        )
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start", "times need a time zone", "时间须带时区")
    return start, end, None


def _out(card: Scorecard, info: dict[str, str], points: points.Points | None) -> ScorecardOut:
    return ScorecardOut(
        unit_kind=card.unit_kind,
        unit_id=card.unit_id,
        code=info.get("code"),
        name=info.get("name"),
        start=card.start.isoformat(),
        end=card.end.isoformat(),
        composite=card.composite,
        figures=[
            FigureOut(
                code=f.code,
                name_zh=f.name_zh,
                numerator=f.numerator,
                denominator=f.denominator,
                rate=f.rate,
            )
            for f in card.figures.values()
        ],
        points=points.total if points else 0.0,
        point_items=(points.items or []) if points else [],
    )


@router.get("/scorecards", response_model=list[ScorecardOut])
def list_scorecards(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    level: UnitKind,
    month: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ScorecardOut]:
    """Every unit of a level: 三率, the 数字城管 rates, whistle points; figures with n and d."""
    authorize(session, actor=user, permission=Permission.assessment_read)
    s, e, m = _period(month, start, end)
    units = rankings.units_of(session, level)
    cards = scorecards(session, settings=settings, kind=level, start=s, end=e)
    pts = unit_points(session, kind=level, start=s, end=e, month=m)
    return [
        _out(cards.get(u) or empty_card(level, u, s, e), info, pts.get(u))
        for u, info in sorted(units.items(), key=lambda kv: kv[1]["code"])
    ]


@router.get("/scorecards/{level}/{unit_id}/cases")
def scorecard_cases(
    session: SessionDep,
    user: CurrentUser,
    level: UnitKind,
    unit_id: int,
    metric: str,
    part: str = Query("numerator", pattern="^(numerator|denominator)$"),
    month: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, object]:
    """Drill down: the cases behind a figure's numerator or denominator."""
    authorize(session, actor=user, permission=Permission.assessment_read)
    s, e, _ = _period(month, start, end)
    ids = drilldown(session, kind=level, unit_id=unit_id, metric=metric, part=part, start=s, end=e)
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())
    return {"metric": metric, "part": part, "cases": [{"id": i, "number": numbers[i]} for i in ids]}


@router.post("/whistles/{whistle_id}/ratings", status_code=201)
def rate_department(
    session: SessionDep, user: CurrentUser, whistle_id: int, body: RatingIn
) -> dict[str, int]:
    """一案一评: the street rates a summoned department on a key whistle."""
    row = service.rate_department(session, actor=user, whistle_id=whistle_id, **body.model_dump())
    return {"id": row.id}


@router.post("/whistles/{whistle_id}/feedback", status_code=201)
def rate_whistle(
    session: SessionDep, user: CurrentUser, whistle_id: int, body: FeedbackIn
) -> dict[str, int]:
    """A summoned department rates the street's whistle (needless whistles count against it)."""
    row = service.rate_whistle(session, actor=user, whistle_id=whistle_id, **body.model_dump())
    return {"id": row.id}


@router.post("/adjustments", status_code=201)
def propose_adjustment(
    session: SessionDep, user: CurrentUser, body: AdjustmentIn
) -> dict[str, object]:
    row = service.propose_adjustment(session, actor=user, **body.model_dump())
    return {"id": row.id, "state": row.state}


@router.post("/adjustments/{adjustment_id}/decision")
def decide_adjustment(
    session: SessionDep, user: CurrentUser, adjustment_id: int, body: DecisionIn
) -> dict[str, object]:
    row = service.decide_adjustment(
        session, actor=user, adjustment_id=adjustment_id, approve=body.approve
    )
    return {"id": row.id, "state": row.state}


def _ranking(session: SessionDep, settings: SettingsDep, level: UnitKind, month: str) -> RankingOut:
    snap = rankings.snapshot(session, kind=level, month=month)
    if snap is not None:
        return RankingOut(
            level=level,
            month=month,
            published=True,
            published_at=snap.published_at.isoformat(),
            rule=snap.rule,
            rows=snap.rows,
        )
    rows = rankings.compute(session, settings=settings, kind=level, month=month)
    return RankingOut(
        level=level, month=month, published=False, rule=rankings.rule(settings), rows=rows
    )


@router.get("/rankings/{level}/{month}", response_model=RankingOut)
def get_ranking(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, level: UnitKind, month: str
) -> RankingOut:
    """A month's ranking: the frozen snapshot once published, else computed live."""
    authorize(session, actor=user, permission=Permission.assessment_read)
    return _ranking(session, settings, level, month)


@router.post("/rankings/{level}/{month}/publish", response_model=RankingOut, status_code=201)
def publish_ranking(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, level: UnitKind, month: str
) -> RankingOut:
    service.publish_ranking(session, actor=user, settings=settings, kind=level, month=month)
    return _ranking(session, settings, level, month)


@router.get("/export/scorecards.xlsx")
def export_scorecards(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, level: UnitKind, month: str
) -> Response:
    authorize(session, actor=user, permission=Permission.assessment_read)
    s, e = rankings.month_bounds(month)
    cards = scorecards(session, settings=settings, kind=level, start=s, end=e)
    units = rankings.units_of(session, level)
    all_cards = [cards.get(u) or empty_card(level, u, s, e) for u in units]
    data = export.scorecards_workbook(level, month, units, all_cards)
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="scorecards-{level.value}-{month}.xlsx"'
        },
    )


@router.get("/export/rankings/{level}/{month}.xlsx")
def export_ranking(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, level: UnitKind, month: str
) -> Response:
    authorize(session, actor=user, permission=Permission.assessment_read)
    ranking = _ranking(session, settings, level, month)
    data = export.ranking_workbook(level, month, ranking.rows, published=ranking.published)
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="ranking-{level.value}-{month}.xlsx"'
        },
    )
