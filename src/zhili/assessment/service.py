"""Two-way whistle assessment and add/subtract scoring. Services never commit.

Whistle points and deductions are computed in ``points``; rankings in ``rankings``; this
module holds only what people decide: ratings, adjustments and the publishing of rankings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhili.assessment import rankings, rollup
from zhili.assessment.metrics import UnitKind
from zhili.assessment.models import (
    RankingSnapshot,
    RollupWatermark,
    ScoreAdjustment,
    WhistleFeedback,
    WhistleRating,
    assessment_rollup,
)
from zhili.cases.models import CaseEvent
from zhili.cases.whistles.models import Whistle, WhistleSummons, WhistleType
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.access import authorize
from zhili.org.users.models import User

_KEY_WHISTLES = (WhistleType.tackling.value, WhistleType.emergency.value)


def _whistle(session: Session, whistle_id: int) -> Whistle:
    whistle = session.get(Whistle, whistle_id)
    if whistle is None:
        raise NotFound("whistle", whistle_id)
    return whistle


def _score(field: str, value: int) -> None:
    if not 1 <= value <= 5:
        raise ValidationFailed(field, "a rating is 1 to 5", "评分须为 1 至 5 分")


def rate_department(
    session: Session,
    *,
    actor: User,
    whistle_id: int,
    department_id: int,
    report_in: int,
    result: int,
    attitude: int,
    comment: str | None = None,
) -> WhistleRating:
    """一案一评: the street that blew a key whistle rates a summoned department."""
    authorize(session, actor=actor, permission=Permission.case_whistle)
    whistle = _whistle(session, whistle_id)
    if actor.role != Role.admin and actor.region_id != whistle.blown_by_region_id:
        raise Forbidden("only the unit that blew the whistle rates it", "只有吹哨单位可以评价")
    if whistle.type not in _KEY_WHISTLES:
        raise Conflict(
            "daily whistles are assessed by the negative list",
            "日常哨按负面清单考核，不逐案评价",
            current_state=whistle.type,
        )
    if whistle.state != "completed":
        raise Conflict(
            "rate after the whistle completes",
            "吹哨事项完成后才能评价",
            current_state=whistle.state,
        )
    summoned = session.scalar(
        select(WhistleSummons.id).where(
            WhistleSummons.whistle_id == whistle.id, WhistleSummons.department_id == department_id
        )
    )
    if summoned is None:
        raise ValidationFailed(
            "department_id", "that department was not summoned", "该部门未被召集"
        )
    for name, value in (("report_in", report_in), ("result", result), ("attitude", attitude)):
        _score(name, value)
    if session.scalar(
        select(WhistleRating.id).where(
            WhistleRating.whistle_id == whistle.id, WhistleRating.department_id == department_id
        )
    ):
        raise Conflict("already rated", "已评价", current_state="rated")
    rating = WhistleRating(
        whistle_id=whistle.id,
        department_id=department_id,
        report_in=report_in,
        result=result,
        attitude=attitude,
        comment=comment,
        rated_by_id=actor.id,
        rated_at=utcnow(),
    )
    session.add(rating)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.rate_department",
        entity_type="whistle",
        entity_id=whistle.id,
        after={
            "department_id": department_id,
            "report_in": report_in,
            "result": result,
            "attitude": attitude,
        },
    )
    return rating


def rate_whistle(
    session: Session,
    *,
    actor: User,
    whistle_id: int,
    needless: bool,
    quality: int,
    comment: str | None = None,
) -> WhistleFeedback:
    """A summoned department rates the street's whistle (双向考核)."""
    authorize(session, actor=actor, permission=Permission.case_report_in)
    whistle = _whistle(session, whistle_id)
    summoned = session.scalar(
        select(WhistleSummons.id).where(
            WhistleSummons.whistle_id == whistle.id,
            WhistleSummons.department_id == actor.department_id,
        )
    )
    if summoned is None or actor.department_id is None:
        raise Forbidden("your department was not summoned", "本部门未被召集，不能评价")
    _score("quality", quality)
    if session.scalar(
        select(WhistleFeedback.id).where(
            WhistleFeedback.whistle_id == whistle.id,
            WhistleFeedback.department_id == actor.department_id,
        )
    ):
        raise Conflict("already rated", "已评价", current_state="rated")
    feedback = WhistleFeedback(
        whistle_id=whistle.id,
        department_id=actor.department_id,
        needless=needless,
        quality=quality,
        comment=comment,
        rated_by_id=actor.id,
        rated_at=utcnow(),
    )
    session.add(feedback)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.rate_whistle",
        entity_type="whistle",
        entity_id=whistle.id,
        after={"needless": needless, "quality": quality},
    )
    return feedback


def propose_adjustment(
    session: Session,
    *,
    actor: User,
    unit_kind: UnitKind,
    unit_id: int,
    month: str,
    points: float,
    reason: str,
) -> ScoreAdjustment:
    """加减分: propose a direct adjustment; it counts only after someone else approves it."""
    authorize(session, actor=actor, permission=Permission.assessment_adjust)
    _check_month(month)
    if points == 0 or abs(points) > 100:
        raise ValidationFailed(
            "points", "between -100 and 100, not 0", "分值须在 -100 至 100 之间且不为 0"
        )
    if len(reason.strip()) < 4:
        raise ValidationFailed("reason", "give the reason", "请写明加减分理由")
    row = ScoreAdjustment(
        unit_kind=unit_kind.value,
        unit_id=unit_id,
        month=month,
        points=points,
        reason=reason.strip(),
        state="proposed",
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.propose_adjustment",
        entity_type="score_adjustment",
        entity_id=row.id,
        after={
            "unit": f"{unit_kind.value}:{unit_id}",
            "month": month,
            "points": points,
            "reason": row.reason,
        },
    )
    return row


def decide_adjustment(
    session: Session, *, actor: User, adjustment_id: int, approve: bool
) -> ScoreAdjustment:
    """The approver is never the proposer: one person cannot move a score alone."""
    authorize(session, actor=actor, permission=Permission.assessment_approve)
    row = session.get(ScoreAdjustment, adjustment_id)
    if row is None:
        raise NotFound("adjustment", adjustment_id)
    if row.state != "proposed":
        raise Conflict("already decided", "该加减分已审批", current_state=row.state)
    if row.proposed_by_id == actor.id:
        raise Forbidden("the proposer cannot approve", "提出人不能审批自己的加减分")
    row.state = "approved" if approve else "refused"
    row.decided_by_id = actor.id
    row.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="assessment.decide_adjustment",
        entity_type="score_adjustment",
        entity_id=row.id,
        before={"state": "proposed"},
        after={"state": row.state},
    )
    return row


def _check_month(month: str) -> None:
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError as exc:
        raise ValidationFailed("month", "month as YYYY-MM", "月份格式应为 YYYY-MM") from exc


def publish_ranking(
    session: Session, *, actor: User, settings: Settings, kind: UnitKind, month: str
) -> RankingSnapshot:
    """Freeze a finished month's ranking; it never changes afterwards, whatever happens."""
    authorize(session, actor=actor, permission=Permission.assessment_approve)
    _, end = rankings.month_bounds(month)
    if end > utcnow():
        raise Conflict("the month is not over", "本月尚未结束，不能发布排名", current_state="open")
    if rankings.snapshot(session, kind=kind, month=month) is not None:
        raise Conflict("already published", "该月排名已发布", current_state="published")
    rows = rankings.compute(session, settings=settings, kind=kind, month=month)
    snap = RankingSnapshot(
        level=kind.value,
        month=month,
        rows=audit.jsonable(rows),
        rule=rankings.rule(settings),
        published_by_id=actor.id,
        published_at=utcnow(),
    )
    session.add(snap)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.publish_ranking",
        entity_type="ranking_snapshot",
        entity_id=snap.id,
        after={"level": kind.value, "month": month, "units": len(rows)},
    )
    return snap


def _temp(session: Session, name: str, query: Any) -> None:
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} AS {compiled}"))
    if session.get_bind().dialect.name == "postgresql":
        # without statistics the planner takes it for a few rows and sorts instead of hashing
        session.execute(text(f"ANALYZE {name}"))


def refresh_rollup(session: Session) -> int:
    """Fold the events written since the last refresh into the daily and monthly rollup.

    Run by the supervision tick. Returns the number of events folded in. The watermark
    row is locked, so two refreshes never count twice. One pass over the new events
    (joined to their cases) evaluates every metric's conditions once per event and groups
    them per day by department and by place (``rollup.stage``); the four area levels are
    summed from those few rows; the days are added to the daily rows, their sums per month
    to the monthly rows. No loop over units or levels runs in Python.

    Into an empty rollup (the first build, or ``rebuild_rollup``) the rows are inserted in
    key order as they are; otherwise each is added to the row it meets (ON CONFLICT … DO
    UPDATE, three times slower per row, fine for a tick's few).
    """
    mark = session.scalar(select(RollupWatermark).where(RollupWatermark.id == 1).with_for_update())
    if mark is None:
        mark = RollupWatermark(id=1, last_event_id=0, refreshed_at=utcnow())
        session.add(mark)
        session.flush()
    newest = session.scalar(select(func.max(CaseEvent.id))) or 0
    if newest <= mark.last_event_id:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Room for the two hash tables of a full build (a year of events: every grid's
        # every day); with less they spill to disk in batches. A tick's few new events use
        # a sliver of it; JIT compiling the 24 conditions costs more than it saves.
        session.execute(text("SET LOCAL work_mem = '1GB'"))
        session.execute(text("SET LOCAL jit = off"))
    empty = session.scalar(select(assessment_rollup.c.kind).limit(1)) is None
    _temp(session, "rollup_stage", rollup.stage(dialect, mark.last_event_id, newest))
    _temp(session, "rollup_days", rollup.daily("rollup_stage"))
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    counts = [assessment_rollup.c[n] for n in rollup.COUNTS]
    for rows in (rollup.as_daily("rollup_days"), rollup.monthly(dialect, "rollup_days")):
        columns = ["grain", "kind", "day", "unit_id", *rollup.COUNTS]
        if empty:
            key_order = rows.order_by(*rows.selected_columns[1:4])
            session.execute(insert_fn(assessment_rollup).from_select(columns, key_order))
            continue
        stmt = insert_fn(assessment_rollup).from_select(columns, rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["kind", "grain", "day", "unit_id"],
            set_={c.name: c + stmt.excluded[c.name] for c in counts},
        )
        session.execute(stmt)
    session.execute(text("DROP TABLE rollup_stage"))
    session.execute(text("DROP TABLE rollup_days"))
    folded = newest - mark.last_event_id
    mark.last_event_id = newest
    mark.refreshed_at = utcnow()
    audit.record(
        session,
        actor=None,
        action="assessment.refresh_rollup",
        entity_type="assessment_rollup",
        entity_id=1,
        after={"last_event_id": newest},
    )
    return folded


def rebuild_rollup(session: Session) -> int:
    """Count the whole rollup again from every event; returns the number of events read.

    For when the metrics' definitions change (the rollup holds counts by the old ones).
    Readers keep the old rows until the transaction commits; the refresh then takes the
    empty rollup's path (rows inserted in key order, not merged one by one).
    """
    mark = session.scalar(select(RollupWatermark).where(RollupWatermark.id == 1).with_for_update())
    if mark is not None:
        mark.last_event_id = 0
    session.execute(assessment_rollup.delete())
    session.flush()
    return refresh_rollup(session)
