"""Scores per criterion and unit, from the recorded facts and the catalogue's rules.

- Site methods (实地调查 网上评估 实地监测): score = full − min(cap, Σ deductions), where a
  failed check item deducts the criterion's per-item points and a "deduction" item the
  points the evaluator named; cap defaults to the full score. No check item yet: not scored.
- 部门审核: one deduction (per-item, default full ÷ materials) for every required material
  without an accepted upload, capped the same way.
- 问卷调查: the named question's positive rate r among the unit's responses, mapped linearly:
  score = full × clamp((r − zero_at) / (full_at − zero_at), 0, 1), zero_at = 0 and full_at = 1
  by default. No answers yet: not scored.

A unit's total is the sum over scored criteria; its 得分率 is the total over the full scores
of those criteria; units rank by 得分率 (ties share a rank: 1, 1, 3), so a criterion not yet
scored does not count against anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.indices.campaigns.models import (
    CHECKED_METHODS,
    EvalCampaign,
    EvalCheckItem,
    EvalCriterion,
    EvalEvidence,
    EvalQuestionnaire,
    EvalResponse,
    EvalSiteVisit,
    EvalUnit,
    EvidenceState,
    Method,
    Outcome,
)
from zhili.indices.campaigns.tally import Tally, tally
from zhili.org.models import Region


@dataclass
class CriterionScore:
    criterion_id: int
    code: str
    name: str
    method: str
    full: float
    score: float | None
    detail: str
    shortfall: bool = False


@dataclass
class UnitScore:
    region_id: int
    code: str
    name: str
    criteria: list[CriterionScore] = field(default_factory=list)
    total: float = 0.0
    full: float = 0.0
    rank: int | None = None
    surveys: dict[str, Tally] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return round(100 * self.total / self.full, 2) if self.full else None


@dataclass(frozen=True, slots=True)
class Rule:
    """A criterion's scoring rule, copied out of the ORM row once: the scoring loop reads
    these fields units × criteria times, and plain attributes cost a fraction of mapped ones."""

    id: int
    code: str
    name: str
    method: str
    full_score: float
    per_item: float | None
    cap: float | None
    evidence: tuple[str, ...]
    question: str | None
    zero_at: float | None
    full_at: float | None

    @classmethod
    def of(cls, c: EvalCriterion) -> Rule:
        return cls(
            c.id, c.code, c.name, c.method, c.full_score, c.per_item, c.cap, tuple(c.evidence),
            c.question, c.zero_at, c.full_at,
        )  # fmt: skip


def _num(x: float) -> str:
    return f"{x:g}"


def score_checked(c: Rule, items: Sequence[tuple[str, float]]) -> tuple[float, str]:
    """Site methods: ``items`` are (outcome, named deduction) of the unit's check items."""
    per_item = c.per_item or 0.0
    raw = sum(
        per_item if o == Outcome.failed else d if o == Outcome.deduction else 0.0 for o, d in items
    )
    cap = c.cap if c.cap is not None else c.full_score
    taken = min(cap, raw)
    failed = sum(1 for o, _ in items if o != Outcome.passed)
    detail = f"检查 {len(items)} 项，{failed} 项扣分，扣 {_num(round(raw, 4))} 分"
    if raw > cap:
        detail += f"（封顶 {_num(cap)} 分）"
    return max(0.0, c.full_score - taken), detail


def score_evidence(c: Rule, accepted: set[str]) -> tuple[float, str]:
    """部门审核: required materials without an accepted upload deduct."""
    required = c.evidence
    missing = [m for m in required if m not in accepted]
    per_item = c.per_item if c.per_item is not None else c.full_score / max(1, len(required))
    cap = c.cap if c.cap is not None else c.full_score
    taken = min(cap, per_item * len(missing))
    detail = f"印证材料 {len(required) - len(missing)}/{len(required)} 项通过审核"
    if missing:
        detail += "，缺：" + "、".join(missing)
    return max(0.0, c.full_score - taken), detail


def score_rate(c: Rule, t: Tally) -> tuple[float, str]:
    """问卷调查: the question's rate mapped linearly between zero_at and full_at."""
    rate = t.rate or 0.0
    lo = c.zero_at if c.zero_at is not None else 0.0
    hi = c.full_at if c.full_at is not None else 1.0
    share = min(1.0, max(0.0, (rate - lo) / (hi - lo)))
    low, high = t.interval or (0.0, 1.0)
    detail = f"{t.code} 比率 {rate:.1%}（n={t.n}，95% 置信区间 {low:.1%}–{high:.1%}）"
    return c.full_score * share, detail


def criteria_of(session: Session, catalogue_id: int) -> list[EvalCriterion]:
    return list(
        session.scalars(
            select(EvalCriterion)
            .where(EvalCriterion.catalogue_id == catalogue_id)
            .order_by(EvalCriterion.seq)
        )
    )


def unit_regions(session: Session, campaign_id: int) -> list[Region]:
    return list(
        session.scalars(
            select(Region)
            .join(EvalUnit, EvalUnit.region_id == Region.id)
            .where(EvalUnit.campaign_id == campaign_id)
            .order_by(Region.code)
        )
    )


def surveys(session: Session, campaign_id: int) -> dict[int, dict[str, Tally]]:
    """Per unit, the tally of every question of every questionnaire of the campaign."""
    questions: list[dict[str, object]] = []
    seen: set[str] = set()
    for qn in session.scalars(
        select(EvalQuestionnaire)
        .where(EvalQuestionnaire.campaign_id == campaign_id)
        .order_by(EvalQuestionnaire.id)
    ):
        for q in qn.questions:
            if q["code"] not in seen:  # codes are unique per campaign (checked on design)
                seen.add(q["code"])
                questions.append(q)
    answers: dict[int, list[dict[str, object]]] = defaultdict(list)
    rows = session.execute(
        select(EvalResponse.region_id, EvalResponse.answers)
        .join(EvalQuestionnaire, EvalQuestionnaire.id == EvalResponse.questionnaire_id)
        .where(EvalQuestionnaire.campaign_id == campaign_id)
    )
    for region_id, ans in rows:
        answers[region_id].append(ans)
    return {rid: tally(questions, a) for rid, a in answers.items()}


def score_campaign(session: Session, campaign: EvalCampaign) -> list[UnitScore]:
    """Every unit's score on every criterion, its total, 得分率 and rank."""
    criteria = [Rule.of(c) for c in criteria_of(session, campaign.catalogue_id)]
    items: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
    for region_id, criterion_id, outcome, deduction in session.execute(
        select(
            EvalSiteVisit.region_id,
            EvalCheckItem.criterion_id,
            EvalCheckItem.outcome,
            EvalCheckItem.deduction,
        )
        .join(EvalSiteVisit, EvalSiteVisit.id == EvalCheckItem.visit_id)
        .where(EvalSiteVisit.campaign_id == campaign.id)
    ):
        items[(region_id, criterion_id)].append((outcome, deduction))
    accepted: dict[tuple[int, int], set[str]] = defaultdict(set)
    for region_id, criterion_id, item in session.execute(
        select(EvalEvidence.region_id, EvalEvidence.criterion_id, EvalEvidence.item).where(
            EvalEvidence.campaign_id == campaign.id,
            EvalEvidence.state == EvidenceState.accepted.value,
        )
    ):
        accepted[(region_id, criterion_id)].add(item)
    tallies = surveys(session, campaign.id)
    out = []
    for region in unit_regions(session, campaign.id):
        unit = UnitScore(region.id, region.code, region.name, surveys=tallies.get(region.id, {}))
        for c in criteria:
            score: float | None = None
            if c.method in CHECKED_METHODS:
                found = items.get((region.id, c.id))
                score, detail = score_checked(c, found) if found else (None, "未测评")
            elif c.method == Method.department_review:
                score, detail = score_evidence(c, accepted.get((region.id, c.id), set()))
            else:
                t = unit.surveys.get(c.question or "")
                score, detail = score_rate(c, t) if t and t.n else (None, "无有效问卷")
            if score is not None:
                score = round(score, 4)
                unit.total += score
                unit.full += c.full_score
            short = score is not None and score < campaign.shortfall_ratio * c.full_score
            unit.criteria.append(
                CriterionScore(c.id, c.code, c.name, c.method, c.full_score, score, detail, short)
            )
        unit.total = round(unit.total, 4)
        out.append(unit)
    _rank(out)
    return out


def _rank(units: list[UnitScore]) -> None:
    ranked = sorted((u for u in units if u.rate is not None), key=lambda u: -(u.rate or 0.0))
    for i, u in enumerate(ranked):
        prev = ranked[i - 1] if i else None
        u.rank = prev.rank if prev is not None and prev.rate == u.rate else i + 1
