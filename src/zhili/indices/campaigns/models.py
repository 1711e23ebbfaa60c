"""Evaluation campaigns (测评): criteria catalogues, campaigns and their evaluated units, site
visits with check items, evidence, questionnaires and responses, rectification tasks.

Scores are not stored: they follow from the recorded facts (check items, evidence reviews,
answers) by the catalogue's rules, so correcting a fact corrects every report. What is stored
is what people did and decided, and a task's score at the time it was raised (its "before").
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime


class Method(StrEnum):
    field_survey = "field_survey"  # 实地调查
    online_review = "online_review"  # 网上评估
    department_review = "department_review"  # 部门审核
    field_monitoring = "field_monitoring"  # 实地监测
    questionnaire = "questionnaire"  # 问卷调查


METHOD_LABELS_ZH: dict[Method, str] = {
    Method.field_survey: "实地调查",
    Method.online_review: "网上评估",
    Method.department_review: "部门审核",
    Method.field_monitoring: "实地监测",
    Method.questionnaire: "问卷调查",
}
# Methods scored from check items recorded on visits (to a site, or to a website).
CHECKED_METHODS = frozenset({Method.field_survey, Method.online_review, Method.field_monitoring})


class CampaignState(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Outcome(StrEnum):
    passed = "pass"
    failed = "fail"  # deducts the criterion's per-item points
    deduction = "deduction"  # deducts the points the evaluator names


class EvidenceState(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


class TaskState(StrEnum):
    open = "open"
    reported = "reported"  # the owner says it is fixed
    verified = "verified"  # the evaluator agrees


class EvalCatalogue(Base):
    """测评体系: one imported set of criteria (a file is imported whole or not at all)."""

    __tablename__ = "eval_catalogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalCriterion(Base):
    """测评标准: a requirement made measurable, with its method, evidence, sites and rule."""

    __tablename__ = "eval_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("eval_catalogue.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    requirement: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    full_score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(24))
    evidence: Mapped[list[str]] = mapped_column(JSON)
    site_types: Mapped[list[str]] = mapped_column(JSON)
    # The scoring rule, as data: per-item deduction and its cap (site methods, evidence),
    # or the question whose rate maps linearly from zero_at (0 points) to full_at (full).
    per_item: Mapped[float | None] = mapped_column(Float)
    cap: Mapped[float | None] = mapped_column(Float)
    question: Mapped[str | None] = mapped_column(String(32))
    zero_at: Mapped[float | None] = mapped_column(Float)
    full_at: Mapped[float | None] = mapped_column(Float)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)

    __table_args__ = (UniqueConstraint("catalogue_id", "code", name="uq_eval_criterion_code"),)


class EvalCampaign(Base):
    """One evaluation round; a follow-up (回头看) names the campaign it re-checks."""

    __tablename__ = "eval_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("eval_catalogue.id"), index=True)
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.draft.value)
    # A criterion scoring below this share of its full score is a shortfall (短板).
    shortfall_ratio: Mapped[float] = mapped_column(Float, default=0.6)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config


class EvalUnit(Base):
    """An evaluated unit (被测评单位) of a campaign: an org unit."""

    __tablename__ = "eval_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)

    __table_args__ = (UniqueConstraint("campaign_id", "region_id", name="uq_eval_unit_region"),)


class EvalSiteVisit(Base):
    """实地测评: an evaluator at one site (点位) of a unit, e.g. a 综治中心 or a 小区."""

    __tablename__ = "eval_site_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    site_type: Mapped[str] = mapped_column(String(64))
    site_name: Mapped[str] = mapped_column(String(200))
    visited_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalCheckItem(Base):
    """测评项目: one criterion checked at one visit."""

    __tablename__ = "eval_check_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("eval_site_visit.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("eval_criterion.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    deduction: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class EvalEvidence(Base):
    """印证材料: a file a unit uploads for a criterion, accepted or rejected by review."""

    __tablename__ = "eval_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("eval_criterion.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=EvidenceState.submitted.value)
    reason: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EvalQuestionnaire(Base):
    """问卷: questions as data (single choice, Likert satisfaction, awareness yes/no)."""

    __tablename__ = "eval_questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalSurveyLink(Base):
    """A public link for one questionnaire and one unit: answers need no account.

    The token is stored as is, not hashed: it is meant to be printed on posters at the
    unit's sites, and grants nothing but the right to answer this one questionnaire.
    """

    __tablename__ = "eval_survey_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("eval_questionnaire.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalResponse(Base):
    """One filled questionnaire, for one unit; from a public link or entered by staff."""

    __tablename__ = "eval_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("eval_questionnaire.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("eval_survey_link.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalRectification(Base):
    """整改任务: a shortfall given to an owner with a deadline; 回头看 checks it again."""

    __tablename__ = "eval_rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("eval_campaign.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("eval_criterion.id"))
    score_before: Mapped[float] = mapped_column(Float)
    full_score: Mapped[float] = mapped_column(Float)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.open.value)
    report_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("campaign_id", "region_id", "criterion_id", name="uq_eval_task_unit"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config
