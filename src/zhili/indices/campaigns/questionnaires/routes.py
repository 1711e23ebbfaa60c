"""Questionnaire endpoints; the public link needs no account and is rate-limited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from zhili.core.errors import ZhiliError
from zhili.core.ratelimit import RateLimiter
from zhili.core.security import Permission
from zhili.indices.campaigns import service as campaigns
from zhili.indices.campaigns.deps import units_in_scope
from zhili.indices.campaigns.questionnaires import service
from zhili.indices.campaigns.schemas import (
    AnswersIn,
    LinkIn,
    LinkOut,
    QuestionnaireIn,
    QuestionnaireOut,
    StaffAnswersIn,
)
from zhili.indices.campaigns.scoring import surveys
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, SessionDep
from zhili.org.models import Region

router = APIRouter()
PUBLIC_PATH = "/api/v1/indices/campaigns/public/"


class TooManyRequests(ZhiliError):
    status_code = 429
    code = "rate_limited"


def limiter(request: Request) -> RateLimiter:
    """One limiter per app, made on first use (tests may replace it on app.state)."""
    found: RateLimiter | None = getattr(request.app.state, "survey_limiter", None)
    if found is None:
        found = RateLimiter()
        request.app.state.survey_limiter = found
    return found


@router.post("/{campaign_id:int}/questionnaires", status_code=201, response_model=QuestionnaireOut)
def create_questionnaire(
    session: SessionDep, user: CurrentUser, campaign_id: int, body: QuestionnaireIn
) -> QuestionnaireOut:
    qn = service.create_questionnaire(
        session, actor=user, campaign_id=campaign_id, title=body.title,
        questions=[q.model_dump() for q in body.questions],
    )  # fmt: skip
    return QuestionnaireOut(
        id=qn.id, campaign_id=qn.campaign_id, title=qn.title, questions=qn.questions
    )


@router.post(
    "/questionnaires/{questionnaire_id:int}/links", status_code=201, response_model=LinkOut
)
def create_link(
    session: SessionDep, user: CurrentUser, questionnaire_id: int, body: LinkIn
) -> LinkOut:
    link = service.create_link(
        session, actor=user, questionnaire_id=questionnaire_id, region_id=body.region_id
    )
    return LinkOut(
        id=link.id, token=link.token, region_id=link.region_id, path=PUBLIC_PATH + link.token
    )


@router.post("/links/{link_id:int}/deactivate")
def deactivate_link(session: SessionDep, user: CurrentUser, link_id: int) -> dict[str, Any]:
    link = service.deactivate_link(session, actor=user, link_id=link_id)
    return {"id": link.id, "active": link.active}


@router.post("/questionnaires/{questionnaire_id:int}/responses", status_code=201)
def enter_response(
    session: SessionDep, user: CurrentUser, questionnaire_id: int, body: StaffAnswersIn
) -> dict[str, int]:
    """A paper questionnaire typed in by an evaluator."""
    row = service.submit_collected(
        session, actor=user, questionnaire_id=questionnaire_id, region_id=body.region_id,
        answers=body.answers,
    )  # fmt: skip
    return {"id": row.id}


@router.get("/public/{token}")
def public_form(session: SessionDep, token: str) -> dict[str, Any]:
    """What a respondent sees: the questionnaire and the unit it is about (no account)."""
    link = service.link_by_token(session, token)
    qn = service.get_questionnaire(session, link.questionnaire_id)
    region = session.get(Region, link.region_id)
    return {
        "title": qn.title,
        "unit": region.name if region else None,
        "questions": [
            {k: q[k] for k in ("code", "kind", "text", "options", "required")} for q in qn.questions
        ],
    }


@router.post("/public/{token}", status_code=201)
def public_answer(
    session: SessionDep, request: Request, token: str, body: AnswersIn
) -> dict[str, str]:
    """Answer on a public link. Limited per client address and link."""
    client = request.client.host if request.client else "unknown"
    if not limiter(request).allow(f"{client}|{token}"):
        raise TooManyRequests("too many answers from this address", "提交过于频繁，请稍后再试")
    service.submit_public(session, token=token, answers=body.answers)
    return {"status": "received", "message_zh": "感谢您的参与"}


@router.get("/{campaign_id:int}/surveys")
def survey_results(
    session: SessionDep, user: CurrentUser, campaign_id: int
) -> list[dict[str, Any]]:
    """Per unit in the reader's scope: every question's n, rate and Wilson 95 % interval."""
    authorize(session, actor=user, permission=Permission.evaluation_read)
    campaigns.get_campaign(session, campaign_id)
    ids = units_in_scope(session, user, campaign_id)
    return [
        {"region_id": rid, "questions": [t.as_dict() for t in tallies.values()]}
        for rid, tallies in sorted(surveys(session, campaign_id).items())
        if rid in ids
    ]
