"""HTTP API of insight (研判预警), under /api/v1/insight.

Sections: classify (suggest, feedback, models), duplicates, then detect (warnings, hotspots,
anomalies, risk lists, monthly issue).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from sqlalchemy.orm import Session

from zhili.cases import service as cases_service
from zhili.cases.scope import require as require_case
from zhili.core.errors import Forbidden
from zhili.core.security import Permission, Role
from zhili.insight import duplicates
from zhili.insight import models as _models  # noqa: F401 - registers the tables
from zhili.insight.classify import service as classify
from zhili.insight.classify.schemas import (
    DuplicateCheckIn,
    DuplicateOut,
    FeedbackIn,
    FeedbackOut,
    ModelOut,
    SuggestIn,
    SuggestionOut,
    TargetSuggestions,
    TrainIn,
    TrainOut,
)
from zhili.insight.models import InsightModel, Target
from zhili.insight.warnings_api import router as warnings_router
from zhili.org.access import authorize, scope_region
from zhili.org.deps import CurrentUser, SessionDep, SettingsDep
from zhili.org.users.models import User

router = APIRouter(prefix="/insight", tags=["insight"])


# -- classify: suggest, feedback, models ----------------------------------------------------


def _staff_intake(session: Session, user: User) -> None:
    authorize(session, actor=user, permission=Permission.case_intake)
    if user.role == Role.citizen:
        raise Forbidden("suggestions are for staff", "仅工作人员可用")


def _model_out(m: InsightModel) -> ModelOut:
    return ModelOut(
        id=m.id,
        target=m.target,
        version=m.version,
        status=m.status,
        algorithm=m.algorithm,
        samples=m.samples,
        labels=len(m.labels),
        source=m.source,
        holdout_score=m.holdout_score,
        baseline_score=m.baseline_score,
        metrics=m.metrics,
        created_at=m.created_at,
    )


@router.post("/suggest", response_model=dict[str, TargetSuggestions])
def suggest(
    body: SuggestIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> dict[str, TargetSuggestions]:
    """Top categories and handling units for a report's text, with calibrated confidence
    (智能分拨建议). Empty while no model of that kind has been trained."""
    _staff_intake(session, user)
    out: dict[str, TargetSuggestions] = {}
    for target in dict.fromkeys(body.targets):
        model, found = classify.suggest(
            session, settings=settings, target=target, text=body.text, top=body.top
        )
        out[target.value] = TargetSuggestions(
            model_id=model.id if model else None,
            model_version=model.version if model else None,
            suggestions=[SuggestionOut(**asdict(s)) for s in found],
        )
    return out


@router.post("/feedback", response_model=FeedbackOut, status_code=201)
def feedback(body: FeedbackIn, session: SessionDep, user: CurrentUser) -> FeedbackOut:
    """The dispatcher's final choice for a text or case: training data for the next model."""
    authorize(session, actor=user, permission=Permission.case_register)
    if body.case_id is not None:
        case = cases_service.get_case(session, body.case_id)
        require_case(session, actor=user, case=case, permission=Permission.case_register)
    row = classify.record_feedback(
        session,
        actor=user,
        target=body.target,
        label=body.label,
        text=body.text,
        case_id=body.case_id,
        suggested=body.suggested,
        model_id=body.model_id,
    )
    return FeedbackOut(
        id=row.id, target=row.target, label=row.label, case_id=row.case_id, accepted=row.accepted
    )


@router.get("/models", response_model=list[ModelOut])
def list_models(
    session: SessionDep, user: CurrentUser, target: Target | None = None
) -> list[ModelOut]:
    """Every trained model, newest first per target; at most one is active per target."""
    authorize(session, actor=user, permission=Permission.case_register)
    return [_model_out(m) for m in classify.list_models(session, target=target)]


@router.post("/models/train", response_model=TrainOut, status_code=201)
def train_from_cases(
    body: TrainIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> TrainOut:
    """Train on the city's own closed cases and recorded choices; the new model replaces the
    active one only if it scores better on held-out rows."""
    authorize(session, actor=user, permission=Permission.category_write)
    texts, labels = classify.training_rows(session, target=body.target)
    result = classify.train(
        session,
        actor=user,
        settings=settings,
        target=body.target,
        texts=texts,
        labels=labels,
        source="cases",
        seed=body.seed,
    )
    return TrainOut(
        promoted=result.promoted,
        model=_model_out(result.model),
        dropped_labels=result.dropped_labels,
    )


# -- duplicates -------------------------------------------------------------------------------


def _area(session: Session, user: User) -> str | None:
    """The reader's area as a path prefix (None: the whole city)."""
    if user.role == Role.admin and user.region_id is None:
        return None
    scope = scope_region(session, user)
    if scope is None:
        raise Forbidden("no area to search in", "账号未设置管辖区域")
    return None if scope.parent_id is None else scope.path


@router.post("/duplicates", response_model=list[DuplicateOut])
def check_duplicates(
    body: DuplicateCheckIn, session: SessionDep, user: CurrentUser
) -> list[DuplicateOut]:
    """Open cases that look like this report: alike text, near, recent (疑似重复件)."""
    _staff_intake(session, user)
    found = duplicates.find_duplicates(
        session,
        text=body.text,
        lon=body.lon,
        lat=body.lat,
        at=body.at,
        category_id=body.category_id,
        radius_m=body.radius_m,
        window_hours=body.window_hours,
        min_similarity=body.min_similarity,
        region_path=_area(session, user),
    )
    return [DuplicateOut(**asdict(d)) for d in found]


@router.get("/cases/{case_id}/duplicates", response_model=list[DuplicateOut])
def case_duplicates(case_id: int, session: SessionDep, user: CurrentUser) -> list[DuplicateOut]:
    """Open cases that look like this case (to merge, 合并)."""
    case = cases_service.get_case(session, case_id)
    require_case(session, actor=user, case=case, permission=Permission.case_register)
    found = duplicates.duplicates_of_case(session, case, region_path=_area(session, user))
    return [DuplicateOut(**asdict(d)) for d in found]


# -- detect: warnings, hotspots, anomalies, risk lists, monthly issue ------------------------

router.include_router(warnings_router)  # GET /warnings, …/case, …/supervise, …/dismiss
