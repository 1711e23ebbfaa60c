"""Rectification (整改) and follow-up reviews (回头看). Services never commit.

When a campaign closes, every criterion a unit scored below the campaign's shortfall ratio
becomes a task with an owner and a deadline; the task keeps the score it was raised at. The
owner reports it fixed, the evaluator verifies it (or sends it back). A follow-up campaign
re-evaluates the same catalogue for the units concerned, and the comparison shows each
shortfall's score before and after.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.indices.campaigns import service as campaigns
from zhili.indices.campaigns.access import require_manage
from zhili.indices.campaigns.models import (
    CampaignState,
    EvalCampaign,
    EvalCriterion,
    EvalRectification,
    TaskState,
)
from zhili.indices.campaigns.scoring import score_campaign
from zhili.org.access import authorize, region_in_scope, scope_region
from zhili.org.models import Region
from zhili.org.users.models import User

TASK_AUDIT = ("state", "owner_id", "deadline", "report_note", "version")
_CHINA = timedelta(hours=8)  # deadlines are dates in China Standard Time


def get_task(session: Session, task_id: int) -> EvalRectification:
    task = session.get(EvalRectification, task_id)
    if task is None:
        raise NotFound("rectification", task_id)
    return task


def _owner(session: Session, user_id: int, region: Region) -> User:
    user = session.get(User, user_id)
    fits = (
        user is not None
        and user.is_active
        and (
            user.role in (Role.street, Role.community, Role.department)
            and region_in_scope(scope_region(session, user), region)
        )
    )
    if not fits or user is None:
        raise ValidationFailed(
            f"owners.{region.id}",
            f"user {user_id} is not staff of {region.code}",
            f"负责人须为{region.name}的在岗工作人员",
        )
    return user


def raise_tasks(
    session: Session, *, actor: User, campaign_id: int, deadline: date, owners: dict[int, int]
) -> list[EvalRectification]:
    """Turn every shortfall of a closed campaign into a task (skipping ones already raised)."""
    require_manage(session, actor)
    campaign = campaigns.get_campaign(session, campaign_id)
    campaigns.require_state(campaign, CampaignState.closed)
    if deadline <= (utcnow() + _CHINA).date():
        raise ValidationFailed(
            "deadline", "the deadline must be in the future", "整改期限须晚于今天"
        )
    existing = {
        (region_id, criterion_id)
        for region_id, criterion_id in session.execute(
            select(EvalRectification.region_id, EvalRectification.criterion_id).where(
                EvalRectification.campaign_id == campaign.id
            )
        )
    }
    tasks = []
    for unit in score_campaign(session, campaign):
        shortfalls = [c for c in unit.criteria if c.shortfall]
        fresh = [c for c in shortfalls if (unit.region_id, c.criterion_id) not in existing]
        if not fresh:
            continue
        region = session.get(Region, unit.region_id)
        assert region is not None  # foreign key
        if unit.region_id not in owners:
            raise ValidationFailed(
                f"owners.{unit.region_id}",
                f"{unit.code} has shortfalls and needs an owner",
                f"{unit.name}存在短板，须指定整改负责人",
            )
        owner = _owner(session, owners[unit.region_id], region)
        for c in fresh:
            task = EvalRectification(
                campaign_id=campaign.id,
                region_id=unit.region_id,
                criterion_id=c.criterion_id,
                score_before=c.score if c.score is not None else 0.0,
                full_score=c.full,
                owner_id=owner.id,
                deadline=deadline,
                state=TaskState.open.value,
                created_by_id=actor.id,
                created_at=utcnow(),
            )
            session.add(task)
            tasks.append((task, unit.code, c.code))
    session.flush()
    for task, unit_code, code in tasks:
        audit.record(
            session,
            actor=actor,
            action="evaluation.raise_task",
            entity_type="eval_rectification",
            entity_id=task.id,
            after={
                "unit": unit_code,
                "criterion": code,
                "score_before": task.score_before,
                **audit.snapshot(task, TASK_AUDIT),
            },
        )
    return [t for t, _, _ in tasks]


def _step(task: EvalRectification, *, version: int, expect: TaskState) -> dict[str, Any]:
    """The task's snapshot before a step, once the step is legal (else 409)."""
    if task.state != expect:
        raise Conflict(
            f"task is {task.state}", f"整改任务当前为 {task.state} 状态", current_state=task.state
        )
    if task.version != version:
        raise Conflict(
            "changed by someone else", "任务已被他人修改，请刷新", current_state=task.state
        )
    return audit.snapshot(task, TASK_AUDIT)


def report_task(
    session: Session, *, actor: User, task_id: int, note: str, version: int
) -> EvalRectification:
    """The owner (or the unit's staff) reports the shortfall fixed."""
    task = get_task(session, task_id)
    region = session.get(Region, task.region_id)
    authorize(session, actor=actor, permission=Permission.evaluation_submit, region=region)
    before = _step(task, version=version, expect=TaskState.open)
    task.state = TaskState.reported.value
    task.report_note = note
    task.reported_at = utcnow()
    session.flush()
    audit.record(
        session, actor=actor, action="evaluation.report_task", entity_type="eval_rectification",
        entity_id=task.id, before=before, after=audit.snapshot(task, TASK_AUDIT),
    )  # fmt: skip
    return task


def verify_task(
    session: Session, *, actor: User, task_id: int, accept: bool, version: int, note: str | None
) -> EvalRectification:
    """The evaluator accepts the fix, or sends the task back to the owner."""
    task = get_task(session, task_id)
    require_manage(session, actor, session.get(Region, task.region_id))
    before = _step(task, version=version, expect=TaskState.reported)
    if not accept and not (note or "").strip():
        raise ValidationFailed("note", "say why it is sent back", "退回须说明理由")
    task.state = (TaskState.verified if accept else TaskState.open).value
    task.verified_at = utcnow() if accept else None
    if not accept:
        task.report_note = f"{task.report_note or ''}\n[退回] {note}".strip()
    session.flush()
    audit.record(
        session, actor=actor, action="evaluation.verify_task", entity_type="eval_rectification",
        entity_id=task.id, before=before, after={**audit.snapshot(task, TASK_AUDIT), "note": note},
    )  # fmt: skip
    return task


def create_follow_up(
    session: Session, *, actor: User, campaign_id: int, name: str, region_ids: list[int] | None
) -> EvalCampaign:
    """回头看: a campaign on the same catalogue re-checking a closed one's units."""
    original = campaigns.get_campaign(session, campaign_id)
    require_manage(session, actor)
    campaigns.require_state(original, CampaignState.closed)
    if region_ids is None:
        region_ids = sorted(
            set(
                session.scalars(
                    select(EvalRectification.region_id).where(
                        EvalRectification.campaign_id == original.id
                    )
                )
            )
        )
        if not region_ids:
            raise ValidationFailed(
                "region_ids", "no rectification tasks: name the units", "没有整改任务，请指定单位"
            )
    for rid in region_ids:
        campaigns.unit_region(session, original, rid)
    return campaigns.create_campaign(
        session,
        actor=actor,
        name=name,
        catalogue_id=original.catalogue_id,
        region_ids=region_ids,
        shortfall_ratio=original.shortfall_ratio,
        follow_up_of_id=original.id,
    )


def comparison(session: Session, follow_up: EvalCampaign) -> list[dict[str, Any]]:
    """Each shortfall of the original campaign: its score before, after, and whether fixed."""
    if follow_up.follow_up_of_id is None:
        raise Conflict("not a follow-up campaign", "不是回头看测评", current_state="original")
    after = {
        (u.region_id, c.criterion_id): c
        for u in score_campaign(session, follow_up)
        for c in u.criteria
    }
    rows = session.execute(
        select(EvalRectification, Region.code, Region.name, EvalCriterion.code, EvalCriterion.name)
        .join(Region, Region.id == EvalRectification.region_id)
        .join(EvalCriterion, EvalCriterion.id == EvalRectification.criterion_id)
        .where(EvalRectification.campaign_id == follow_up.follow_up_of_id)
        .order_by(Region.code, EvalCriterion.seq)
    )
    out = []
    for task, unit_code, unit_name, c_code, c_name in rows:
        now = after.get((task.region_id, task.criterion_id))
        score_after = now.score if now is not None else None
        out.append(
            {
                "task_id": task.id,
                "region_id": task.region_id,
                "unit_code": unit_code,
                "unit_name": unit_name,
                "criterion_code": c_code,
                "criterion_name": c_name,
                "full_score": task.full_score,
                "score_before": task.score_before,
                "score_after": score_after,
                "change": None
                if score_after is None
                else round(score_after - task.score_before, 4),
                "task_state": task.state,
                "fixed": None if now is None or score_after is None else not now.shortfall,
            }
        )
    return out


def require_task_reader(session: Session, actor: User, task: EvalRectification) -> None:
    region = session.get(Region, task.region_id)
    if region is None:
        raise Forbidden()
    authorize(session, actor=actor, permission=Permission.evaluation_read, region=region)
