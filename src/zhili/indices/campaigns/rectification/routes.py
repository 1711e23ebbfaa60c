"""Rectification tasks (整改) and follow-up reviews (回头看)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from zhili.indices.campaigns import service as campaigns
from zhili.indices.campaigns.deps import units_in_scope
from zhili.indices.campaigns.models import EvalCampaign, EvalRectification
from zhili.indices.campaigns.rectification import service
from zhili.indices.campaigns.schemas import (
    CampaignOut,
    FollowUpIn,
    RaiseTasksIn,
    ReportTaskIn,
    TaskOut,
    VerifyTaskIn,
)
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter()


@router.post("/{campaign_id:int}/rectifications", status_code=201, response_model=list[TaskOut])
def raise_tasks(
    session: SessionDep, user: CurrentUser, campaign_id: int, body: RaiseTasksIn
) -> list[EvalRectification]:
    """Every shortfall of a closed campaign becomes a task for the unit's named owner."""
    tasks = service.raise_tasks(
        session, actor=user, campaign_id=campaign_id, deadline=body.deadline, owners=body.owners
    )
    session.flush()
    return tasks


@router.get("/{campaign_id:int}/rectifications", response_model=list[TaskOut])
def list_tasks(session: SessionDep, user: CurrentUser, campaign_id: int) -> list[EvalRectification]:
    """The tasks of the units in the reader's scope (a unit: its own)."""
    campaigns.get_campaign(session, campaign_id)
    ids = units_in_scope(session, user, campaign_id)
    return list(
        session.scalars(
            select(EvalRectification)
            .where(
                EvalRectification.campaign_id == campaign_id,
                EvalRectification.region_id.in_(ids),
            )
            .order_by(EvalRectification.id)
        )
    )


@router.post("/rectifications/{task_id:int}/report", response_model=TaskOut)
def report_task(
    session: SessionDep, user: CurrentUser, task_id: int, body: ReportTaskIn
) -> EvalRectification:
    task = service.report_task(
        session, actor=user, task_id=task_id, note=body.note, version=body.version
    )
    session.flush()
    return task


@router.post("/rectifications/{task_id:int}/verify", response_model=TaskOut)
def verify_task(
    session: SessionDep, user: CurrentUser, task_id: int, body: VerifyTaskIn
) -> EvalRectification:
    task = service.verify_task(
        session, actor=user, task_id=task_id, accept=body.accept, version=body.version,
        note=body.note,
    )  # fmt: skip
    session.flush()
    return task


@router.post("/{campaign_id:int}/follow-ups", status_code=201, response_model=CampaignOut)
def create_follow_up(
    session: SessionDep, user: CurrentUser, campaign_id: int, body: FollowUpIn
) -> EvalCampaign:
    """回头看: a campaign re-checking the original's units on the same catalogue."""
    campaign = service.create_follow_up(
        session, actor=user, campaign_id=campaign_id, name=body.name, region_ids=body.region_ids
    )
    session.flush()
    return campaign


@router.get("/{campaign_id:int}/comparison")
def comparison(session: SessionDep, user: CurrentUser, campaign_id: int) -> list[dict[str, Any]]:
    """Before/after of every shortfall of the original campaign, for a follow-up campaign."""
    campaign = campaigns.get_campaign(session, campaign_id)
    ids = units_in_scope(session, user, campaign_id)
    return [r for r in service.comparison(session, campaign) if r["region_id"] in ids]
