"""Questionnaires (问卷调查): design, public links, answers. Services never commit.

Answers come from a public link (no account: the link names the questionnaire and the unit)
or are entered by an evaluator from paper forms. They are checked against the design:
a single choice among its options, a Likert answer 1–5, an awareness answer yes/no.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, NotFound, ValidationFailed
from zhili.indices.campaigns.access import require_manage
from zhili.indices.campaigns.models import (
    CampaignState,
    EvalQuestionnaire,
    EvalResponse,
    EvalSurveyLink,
)
from zhili.indices.campaigns.service import get_campaign, require_state, unit_region
from zhili.org.users.models import User


@dataclass(frozen=True)
class PublicRespondent:
    """Whoever answers on a public link: no account, so the audit row names the link.
    Id 0 is never a user's (ids start at 1)."""

    link_id: int
    id: int = 0
    role: str = "citizen"

    @property
    def username(self) -> str:
        return f"public-link:{self.link_id}"


def get_questionnaire(session: Session, questionnaire_id: int) -> EvalQuestionnaire:
    qn = session.get(EvalQuestionnaire, questionnaire_id)
    if qn is None:
        raise NotFound("questionnaire", questionnaire_id)
    return qn


def create_questionnaire(
    session: Session,
    *,
    actor: User,
    campaign_id: int,
    title: str,
    questions: list[dict[str, Any]],
) -> EvalQuestionnaire:
    """Design a questionnaire; question codes are unique within the campaign, since a
    criterion names its question by code."""
    require_manage(session, actor)
    campaign = get_campaign(session, campaign_id)
    require_state(campaign, CampaignState.draft, CampaignState.open)
    taken = {
        q["code"]
        for qs in session.scalars(
            select(EvalQuestionnaire.questions).where(EvalQuestionnaire.campaign_id == campaign.id)
        )
        for q in qs
    }
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if q["code"] in taken or q["code"] in seen:
            raise ValidationFailed(
                f"questions.{i}.code",
                f"question code {q['code']} is used twice",
                f"题目编号 {q['code']} 重复",
            )
        seen.add(q["code"])
    qn = EvalQuestionnaire(
        campaign_id=campaign.id,
        title=title,
        questions=questions,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(qn)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="evaluation.create_questionnaire",
        entity_type="eval_questionnaire",
        entity_id=qn.id,
        after={
            "campaign_id": campaign.id,
            "title": title,
            "questions": [q["code"] for q in questions],
        },
    )
    return qn


def create_link(
    session: Session, *, actor: User, questionnaire_id: int, region_id: int
) -> EvalSurveyLink:
    """A public link for one unit (printed as a QR code at the unit's sites)."""
    qn = get_questionnaire(session, questionnaire_id)
    campaign = get_campaign(session, qn.campaign_id)
    region = unit_region(session, campaign, region_id)
    require_manage(session, actor, region)
    link = EvalSurveyLink(
        questionnaire_id=qn.id,
        region_id=region.id,
        token=secrets.token_urlsafe(18),
        active=True,
        created_at=utcnow(),
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="evaluation.create_link",
        entity_type="eval_survey_link",
        entity_id=link.id,
        after={"questionnaire_id": qn.id, "unit": region.code},
    )
    return link


def link_by_token(session: Session, token: str) -> EvalSurveyLink:
    link = session.scalar(select(EvalSurveyLink).where(EvalSurveyLink.token == token))
    if link is None or not link.active:
        raise NotFound("survey link", "…")  # never echo a guessed token
    return link


def check_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as stored (unanswered optional questions left out), or 422 naming one."""
    by_code = {q["code"]: q for q in questions}
    for code in answers:
        if code not in by_code:
            raise ValidationFailed(f"answers.{code}", "no such question", "问卷中没有此题")
    clean: dict[str, Any] = {}
    for code, q in by_code.items():
        a = answers.get(code)
        if a is None or a == "":
            if q.get("required", True):
                raise ValidationFailed(f"answers.{code}", "this question is required", "此题必答")
            continue
        kind = q["kind"]
        ok = (
            (kind == "single" and isinstance(a, str) and a in q["options"])
            or (kind == "likert" and type(a) is int and 1 <= a <= 5)
            or (kind == "awareness" and isinstance(a, bool))
        )
        if not ok:
            expect = {"single": "所列选项之一", "likert": "1 至 5 的整数", "awareness": "是或否"}
            raise ValidationFailed(
                f"answers.{code}", f"not a valid {kind} answer", f"答案须为{expect[kind]}"
            )
        clean[code] = a
    return clean


def _save(
    session: Session,
    *,
    qn: EvalQuestionnaire,
    region_id: int,
    answers: dict[str, Any],
    link_id: int | None,
    collected_by_id: int | None,
) -> EvalResponse:
    row = EvalResponse(
        questionnaire_id=qn.id,
        region_id=region_id,
        link_id=link_id,
        answers=check_answers(qn.questions, answers),
        collected_by_id=collected_by_id,
        submitted_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def submit_public(session: Session, *, token: str, answers: dict[str, Any]) -> EvalResponse:
    """An answer on a public link: no account; the campaign must be open."""
    link = link_by_token(session, token)
    qn = get_questionnaire(session, link.questionnaire_id)
    require_state(get_campaign(session, qn.campaign_id), CampaignState.open)
    row = _save(
        session, qn=qn, region_id=link.region_id, answers=answers, link_id=link.id,
        collected_by_id=None,
    )  # fmt: skip
    # The answers themselves are not copied into the log: they are anonymous opinions.
    audit.record(
        session,
        actor=PublicRespondent(link.id),
        action="evaluation.answer_public",
        entity_type="eval_response",
        entity_id=row.id,
        after={"questionnaire_id": qn.id, "region_id": link.region_id},
    )
    return row


def submit_collected(
    session: Session, *, actor: User, questionnaire_id: int, region_id: int, answers: dict[str, Any]
) -> EvalResponse:
    """A paper questionnaire entered by an evaluator."""
    qn = get_questionnaire(session, questionnaire_id)
    campaign = get_campaign(session, qn.campaign_id)
    region = unit_region(session, campaign, region_id)
    require_manage(session, actor, region)
    require_state(campaign, CampaignState.open)
    row = _save(
        session, qn=qn, region_id=region.id, answers=answers, link_id=None,
        collected_by_id=actor.id,
    )  # fmt: skip
    audit.record(
        session,
        actor=actor,
        action="evaluation.answer_collected",
        entity_type="eval_response",
        entity_id=row.id,
        after={"questionnaire_id": qn.id, "region_id": region.id},
    )
    return row


def deactivate_link(session: Session, *, actor: User, link_id: int) -> EvalSurveyLink:
    """Stop a public link (e.g. once the sample is large enough, or a poster was misused)."""
    require_manage(session, actor)
    link = session.get(EvalSurveyLink, link_id)
    if link is None:
        raise NotFound("survey link", link_id)
    if not link.active:
        raise Conflict("already inactive", "链接已停用", current_state="inactive")
    link.active = False
    audit.record(
        session,
        actor=actor,
        action="evaluation.deactivate_link",
        entity_type="eval_survey_link",
        entity_id=link.id,
        before={"active": True},
        after={"active": False},
    )
    return link
